//go:build tools

// Package tools pins the Pulumi engine binaries built by scripts/build-engine.sh.
package tools

import (
	_ "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi"
)
