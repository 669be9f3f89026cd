import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ok, ROOT, run } from "./engine";

/**
 * A scratch copy of the project for the real engine: the stack files the engine writes
 * (encryption salt, config changes) never touch the working tree. src/, fleet/ and node_modules
 * are symlinked; the stack files are copied. It is a git repository, committed clean after
 * `pulumi stack init`, because cascade rollback rebuilds a verified-good update from its commit.
 * Its state lives in a file backend of its own, with its own PULUMI_HOME.
 */
export interface ScratchProject {
  dir: string;
  env: NodeJS.ProcessEnv;
  /** `pulumi ARGS --non-interactive` in the project. */
  pulumi(args: string[]): ReturnType<typeof run>;
  /** `cascade ARGS` (src/cli/main.ts) in the project. */
  cascade(args: string[]): ReturnType<typeof run>;
  /** `git ARGS` in the project. */
  git(args: string[]): ReturnType<typeof run>;
  remove(): void;
}

const LINKED = ["src", "fleet", "node_modules", "package.json", "tsconfig.json", "bin", "probe"];

export async function scratchProject(
  stacks: string[],
  baseEnv: NodeJS.ProcessEnv,
): Promise<ScratchProject> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "cascade-e2e-"));
  const dir = path.join(tmp, "project");
  fs.mkdirSync(dir);
  fs.mkdirSync(path.join(tmp, "state"));
  for (const entry of LINKED) {
    if (fs.existsSync(path.join(ROOT, entry)))
      fs.symlinkSync(path.join(ROOT, entry), path.join(dir, entry));
  }
  for (const file of ["Pulumi.yaml", ...stacks.map((stack) => `Pulumi.${stack}.yaml`)]) {
    fs.copyFileSync(path.join(ROOT, file), path.join(dir, file));
  }
  const env: NodeJS.ProcessEnv = {
    ...baseEnv,
    PULUMI_BACKEND_URL: `file://${path.join(tmp, "state")}`,
    PULUMI_CONFIG_PASSPHRASE: "cascade-e2e",
    PULUMI_HOME: path.join(tmp, "pulumi-home"),
    NO_COLOR: "1",
  };
  const project: ScratchProject = {
    dir,
    env,
    pulumi: (args) => run("pulumi", [...args, "--non-interactive"], { cwd: dir, env }),
    cascade: (args) =>
      run(process.execPath, ["--import", "tsx", path.join(ROOT, "src/cli/main.ts"), ...args], {
        cwd: dir,
        env,
      }),
    git: (args) =>
      run("git", ["-c", "user.name=cascade e2e", "-c", "user.email=e2e@cascade.invalid", ...args], {
        cwd: dir,
        env,
      }),
    remove: () => {
      if (!process.env.CASCADE_E2E_KEEP) fs.rmSync(tmp, { recursive: true, force: true });
    },
  };
  for (const stack of stacks)
    ok(await project.pulumi(["stack", "init", stack]), `pulumi stack init ${stack}`);
  ok(await project.git(["init", "--quiet"]), "git init");
  await commitAll(project, "e2e: scratch project");
  return project;
}

/** Commits every change in the project (a stack file edited by `pulumi config set`, say). */
export async function commitAll(project: ScratchProject, message: string): Promise<void> {
  ok(await project.git(["add", "--all"]), "git add");
  ok(await project.git(["commit", "--quiet", "--allow-empty", "-m", message]), "git commit");
}
