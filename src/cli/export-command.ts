import { writeFileSync } from "node:fs";
import path from "node:path";
import { fleetCompose, writeProjectFiles, type FleetCompose } from "../docker/compose-project";
import { ORDERINGS, type Ordering } from "../fleet/planner";
import { oneOf, parseCommandLine } from "./args";
import { EXIT, UsageError } from "./errors";
import { fleetInput, PROJECT_ROOT } from "./fleet-input";

export const EXPORT_USAGE = `usage: cascade export compose --stack NAME [--ordering waves|dependencies] [--output FILE]
                             [--files-dir DIR]

Writes the stack's fleet as a Docker Compose file, from the same plan and container specs as
the Pulumi program: per agent its image, healthcheck (the cascade-probe), restart policy,
resources, GPU reservations, labels and hardening, and depends_on with condition:
service_healthy for exactly the plan's edges under the ordering. --output writes the file (else
stdout). The probe binary and the model configs go to --files-dir (default cascade-NAME-files
next to the file, or in the current directory with stdout), which the file mounts read-only at
/opt/cascade. Run it with: docker-compose -p cascade-NAME -f FILE up -d`;

export function exportCommand(argv: string[]): number {
  const [what, ...rest] = argv;
  if (what !== "compose") {
    throw new UsageError(
      what === undefined ? "say what to export: compose" : `cannot export "${what}": only compose`,
      EXPORT_USAGE,
    );
  }
  const { values } = parseCommandLine(
    rest,
    {
      stack: { type: "string" },
      ordering: { type: "string" },
      output: { type: "string" },
      "files-dir": { type: "string" },
    },
    EXPORT_USAGE,
  );
  if (values.stack === undefined) throw new UsageError("--stack is required", EXPORT_USAGE);
  const composeDir = values.output ? path.dirname(path.resolve(values.output)) : process.cwd();
  const exported = stackCompose({
    stack: values.stack,
    ordering: oneOf(values.ordering, ORDERINGS, "--ordering", EXPORT_USAGE),
    composeDir,
    filesDir: values["files-dir"],
  });
  writeProjectFiles(exported.filesDir, exported.project.files);
  if (values.output) writeFileSync(values.output, exported.project.text);
  else process.stdout.write(exported.project.text);
  console.error(
    `wrote ${exported.project.files.length} files to ${exported.filesDir} (mounted read-only at /opt/cascade)` +
      (values.output ? ` and ${values.output}` : ""),
  );
  return EXIT.ok;
}

export interface StackComposeOptions {
  stack: string;
  ordering?: Ordering;
  /** Where the Compose file will be. */
  composeDir: string;
  /** Where the files go; default cascade-<stack>-files in composeDir. */
  filesDir?: string;
}

/** The stack's Compose project (Pulumi.<stack>.yaml) and where its files belong; nothing written. */
export function stackCompose(options: StackComposeOptions): FleetCompose {
  const input = fleetInput({ stack: options.stack, ordering: options.ordering }, EXPORT_USAGE);
  return fleetCompose({
    ...options,
    projectRoot: PROJECT_ROOT,
    fleet: input.fleet,
    settings: input.settings!,
    ordering: input.ordering,
  });
}
