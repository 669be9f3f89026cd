// Copied by scripts/build-engine.sh into a build-time copy of github.com/pulumi/terraform-plugin-sdk/v2 (the
// bridge's fork of the SDK): terraform-plugin-go v0.31, which the Terraform Docker provider needs, added
// GenerateResourceConfig to tfprotov5.ProviderServer, and the one fork version the module proxy serves
// predates it. The bridge never calls it; Terraform's own SDK answers the same way for SDKv2 providers.
package schema

import (
	"context"

	"github.com/hashicorp/terraform-plugin-go/tfprotov5"
)

func (s *GRPCProviderServer) GenerateResourceConfig(
	_ context.Context, req *tfprotov5.GenerateResourceConfigRequest,
) (*tfprotov5.GenerateResourceConfigResponse, error) {
	return &tfprotov5.GenerateResourceConfigResponse{Diagnostics: []*tfprotov5.Diagnostic{{
		Severity: tfprotov5.DiagnosticSeverityError,
		Summary:  "Unsupported operation",
		Detail:   "GenerateResourceConfig is not supported for " + req.TypeName + ".",
	}}}, nil
}
