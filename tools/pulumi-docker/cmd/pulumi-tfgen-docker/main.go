// Command pulumi-tfgen-docker generates the Pulumi schema and bridge metadata of cascade's Docker provider
// build (scripts/build-engine.sh runs `pulumi-tfgen-docker schema --out DIR`).
package main

import (
	"os"

	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfgen"

	"cascade/tools/pulumi-docker/info"
)

func main() {
	version := os.Getenv("CASCADE_DOCKER_PROVIDER_VERSION")
	tfgen.Main("docker", version, info.Provider(version, nil))
}
