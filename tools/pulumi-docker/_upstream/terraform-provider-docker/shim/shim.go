// Package shim exposes the Terraform Docker provider's internal SDKv2 provider to the bridge. It is copied
// into a build-time copy of the provider's module by scripts/build-engine.sh (Go allows importing an
// internal package only from inside its module), as upstream pulumi-docker's own patch does.
package shim

import (
	"github.com/hashicorp/terraform-plugin-sdk/v2/helper/schema"
	"github.com/terraform-providers/terraform-provider-docker/internal/provider"
)

func NewProvider() *schema.Provider { return provider.New("cascade")() }
