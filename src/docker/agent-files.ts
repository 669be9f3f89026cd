import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { FILES_MOUNT, PROBE_PATH } from "./paths";

/** One file for the stack's files volume. */
export interface AgentFile {
  /** Absolute path inside the containers, under FILES_MOUNT. */
  path: string;
  content: string;
}

export interface AgentFilesArgs {
  /** Name of the Docker volume to create. */
  volumeName: string;
  /** Image reference to create the (never started) seeder container from: any of the fleet's. */
  seederImage: string;
  /** The static probe binary on the machine running Pulumi; omitted when no container runs it. */
  probeBinary?: { source: string; sha256: string };
  /** The agents' model configs and any other small files. */
  files: AgentFile[];
}

/**
 * `cascade:docker:AgentFiles`: the stack's files volume (probe binary, model configs) and the
 * seeder container that fills it. The seeder is created but never started: the provider
 * uploads its files into the volume through it (uploads need a writable rootfs, which agent
 * containers do not have). Agents mount the volume read-only.
 *
 * Any change to a file changes the seeder's `uploads`, which the provider marks ForceNew: the
 * seeder is replaced and rewrites the volume. Agents carry their file's hash in a label, so a
 * changed model config replaces exactly the agents it belongs to.
 */
export class AgentFiles extends pulumi.ComponentResource {
  public readonly volume: docker.Volume;
  public readonly seeder: docker.Container;
  /** The image the seeder was created from. */
  public readonly seederImage: docker.RemoteImage;
  public readonly volumeName: pulumi.Output<string>;

  constructor(name: string, args: AgentFilesArgs, opts?: pulumi.ComponentResourceOptions) {
    super("cascade:docker:AgentFiles", name, {}, opts);
    this.volume = new docker.Volume(`${name}-volume`, { name: args.volumeName }, { parent: this });
    const uploads: docker.types.input.ContainerUpload[] = args.files.map((file) => ({
      file: file.path,
      content: file.content,
      permissions: "0644",
    }));
    if (args.probeBinary) {
      uploads.unshift({
        file: PROBE_PATH,
        source: args.probeBinary.source,
        sourceHash: args.probeBinary.sha256,
        permissions: "0755",
      });
    }
    this.seederImage = new docker.RemoteImage(
      `${name}-seeder-image`,
      { name: args.seederImage, keepLocally: true },
      { parent: this },
    );
    this.seeder = new docker.Container(
      `${name}-seeder`,
      {
        name: pulumi.interpolate`${this.volume.name}-seeder`,
        image: this.seederImage.imageId,
        command: ["true"],
        start: false,
        mustRun: false,
        networkMode: "none",
        volumes: [{ volumeName: this.volume.name, containerPath: FILES_MOUNT }],
        uploads,
      },
      {
        parent: this,
        // A fixed container name: the old seeder must go before its replacement is created.
        deleteBeforeReplace: true,
        replaceOnChanges: ["uploads"],
        // The seeder never runs, so which image it was made from does not matter once it exists:
        // a new tag of that agent replaces the agent, not the volume's files.
        ignoreChanges: ["image"],
      },
    );
    this.volumeName = this.volume.name;
    this.registerOutputs({ volumeName: this.volumeName });
  }
}
