//go:build tools

// Package tools pins kwok (simulated nodes and pods) built by scripts/build-engine.sh.
package tools

import (
	_ "sigs.k8s.io/kwok/cmd/kwok"
)
