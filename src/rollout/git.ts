import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, symlinkSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

/** The git operations rollback and `plan --diff` need. */
export interface GitRepo {
  readonly root: string;
  commitExists(commit: string): boolean;
  /** The file at `ref`, or undefined when it does not exist there. */
  show(ref: string, file: string): string | undefined;
  /** A detached worktree of `commit` in a temporary directory, sharing node_modules. */
  addWorktree(commit: string): Worktree;
}

export interface Worktree {
  dir: string;
  remove(): void;
}

export class GitError extends Error {
  override name = "GitError";
}

/** The repository at `root`, through the git CLI. */
export function gitRepo(root: string): GitRepo {
  const git = (args: string[]) =>
    execFileSync("git", args, { cwd: root, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  const tryGit = (args: string[]): string | undefined => {
    try {
      return git(args);
    } catch {
      return undefined;
    }
  };
  return {
    root,
    commitExists: (commit) => tryGit(["cat-file", "-e", `${commit}^{commit}`]) !== undefined,
    show(ref, file) {
      if (tryGit(["rev-parse", "--verify", "--quiet", `${ref}^{commit}`]) === undefined) {
        throw new GitError(
          `"${ref}" is not a commit in ${root}; fetch it first (git fetch origin)`,
        );
      }
      return tryGit(["show", `${ref}:${file.split(path.sep).join("/")}`]);
    },
    addWorktree(commit) {
      const dir = path.join(mkdtempSync(path.join(os.tmpdir(), "cascade-rollback-")), "program");
      try {
        git(["worktree", "add", "--detach", dir, commit]);
      } catch (error) {
        throw new GitError(`cannot check out commit ${commit} into a worktree: ${stderrOf(error)}`);
      }
      // The old program runs with this checkout's dependencies; package-lock changes between
      // the two versions are not reinstalled (docs/rollback.md).
      const modules = path.join(root, "node_modules");
      if (existsSync(modules) && !existsSync(path.join(dir, "node_modules"))) {
        symlinkSync(modules, path.join(dir, "node_modules"), "dir");
      }
      return {
        dir,
        remove() {
          tryGit(["worktree", "remove", "--force", dir]);
          rmSync(path.dirname(dir), { recursive: true, force: true });
          tryGit(["worktree", "prune"]);
        },
      };
    },
  };
}

function stderrOf(error: unknown): string {
  const stderr = (error as { stderr?: string }).stderr;
  return (stderr || (error as Error).message).trim();
}
