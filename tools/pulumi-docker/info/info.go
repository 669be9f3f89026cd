// Package info maps the Terraform Docker provider (kreuzwerker/terraform-provider-docker) to Pulumi's
// `docker` package, for the resources cascade uses: Container, Network, Volume and RemoteImage
// (docker_image), with the provider config. Names and tokens match @pulumi/docker, whose own mapping
// (pulumi/pulumi-docker provider/resources.go) this follows; test/docker/provider-schema.test.ts checks
// the generated schema against the npm SDK. Every other Terraform resource and data source is left
// unmapped on purpose: cascade does not use them.
package info

import (
	"context"
	"sort"

	"github.com/hashicorp/terraform-plugin-sdk/v2/helper/schema"
	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfbridge"
	shimv2 "github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfshim/sdk-v2"
	"github.com/terraform-providers/terraform-provider-docker/shim"
)

const defaultDockerHost = "unix:///var/run/docker.sock"

var resources = map[string]*tfbridge.ResourceInfo{
	"docker_container": {
		Tok:                 "docker:index/container:Container",
		DeleteBeforeReplace: true,
		Fields: map[string]*tfbridge.SchemaInfo{
			// One command, not a list of commands; and "networks_advanced" is already a list.
			"command":           {Name: "command"},
			"networks_advanced": {Name: "networksAdvanced"},
		},
	},
	"docker_image": {
		Tok:    "docker:index/remoteImage:RemoteImage",
		Fields: map[string]*tfbridge.SchemaInfo{"name": {Name: "name"}},
	},
	"docker_network": {Tok: "docker:index/network:Network"},
	"docker_volume":  {Tok: "docker:index/volume:Volume"},
}

// Provider is the bridge's description of the provider. metadata is bridge-metadata.json: empty when
// tfgen generates it, the generated file when the provider binary serves.
func Provider(version string, metadata []byte) tfbridge.ProviderInfo {
	tf := shim.NewProvider()
	prov := tfbridge.ProviderInfo{
		P:           shimv2.NewProvider(tf),
		Name:        "docker",
		Version:     version,
		Description: "A Pulumi package for interacting with Docker in Pulumi programs",
		License:     "Apache-2.0",
		GitHubOrg:   "kreuzwerker",
		Config: map[string]*tfbridge.SchemaInfo{
			"host": {Default: &tfbridge.DefaultInfo{
				EnvVars: []string{"DOCKER_HOST"},
				ComputeDefault: func(context.Context, tfbridge.ComputeDefaultOptions) (interface{}, error) {
					return defaultDockerHost, nil
				},
			}},
			"registry_auth": {Name: "registryAuth", MaxItemsOne: tfbridge.False()},
		},
		Resources:      resources,
		DataSources:    map[string]*tfbridge.DataSourceInfo{},
		IgnoreMappings: unmapped(tf),
		MetadataInfo:   tfbridge.NewProviderMetadata(metadata),
	}
	prov.MustApplyAutoAliases()
	prov.SetAutonaming(255, "-")
	return prov
}

// unmapped names every Terraform resource and data source this package does not map.
func unmapped(tf *schema.Provider) []string {
	var names []string
	for name := range tf.ResourcesMap {
		if _, mapped := resources[name]; !mapped {
			names = append(names, name)
		}
	}
	for name := range tf.DataSourcesMap {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}
