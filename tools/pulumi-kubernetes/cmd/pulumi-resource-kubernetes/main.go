// Command pulumi-resource-kubernetes is the Pulumi Kubernetes provider, built from its Go module.
//
// Upstream's own main package (github.com/pulumi/pulumi-kubernetes/provider/v4/cmd/pulumi-resource-kubernetes)
// embeds schema-embed.json and terraform-mapping-embed.json, which its release build generates with
// `go generate` and which are therefore not in the module zip: `go build` of that package by module path fails.
// This package is the same entry point; scripts/build-engine.sh generates the two files from the module's
// schema.json and terraform-mapping.json (as upstream's generate.go does) into a temp dir and hands them to
// `go build -overlay`, so nothing generated lands in the repository.
package main

import (
	_ "embed"

	"github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/provider"
	"github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/version"
)

//go:embed schema-embed.json
var pulumiSchema []byte

//go:embed terraform-mapping-embed.json
var terraformMapping []byte

func main() {
	provider.Serve("kubernetes", version.Version, pulumiSchema, terraformMapping)
}
