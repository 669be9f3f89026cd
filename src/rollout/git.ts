import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { Owner } from "./record";

/** The git operations deploy, rollback and `plan --diff` need. */
export interface GitRepo {
  readonly root: string;
  commitExists(commit: string): boolean;
  /** The file at `ref`, or undefined when it does not exist there. */
  show(ref: string, file: string): string | undefined;
  /** Files with uncommitted changes, untracked ones included, ignored ones not. */
  dirtyFiles(): string[];
  /**
   * A detached worktree of `commit` in a temporary directory, sharing node_modules, registered
   * with the owner's process so that a later run can tell a leftover from one in use.
   */
  addWorktree(commit: string, owner: Owner): Worktree;
  /** Rollback worktrees registered in this repository, with their owners where known. */
  rollbackWorktrees(): { dir: string; owner?: Owner }[];
  /** Removes a registered worktree and its temporary directory. */
  removeWorktree(dir: string): void;
}

export interface Worktree {
  dir: string;
  remove(): void;
}

export class GitError extends Error {
  override name = "GitError";
}

const WORKTREE_PREFIX = "cascade-rollback-";

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
  const removeWorktree = (dir: string) => {
    tryGit(["worktree", "remove", "--force", dir]);
    rmSync(path.dirname(dir), { recursive: true, force: true });
    tryGit(["worktree", "prune"]);
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
    dirtyFiles() {
      let status: string;
      try {
        status = git(["status", "--porcelain=v1", "-z", "--untracked-files=all"]);
      } catch (error) {
        throw new GitError(`cannot read the state of ${root} (git status): ${stderrOf(error)}`);
      }
      const entries = status.split("\0");
      const files: string[] = [];
      for (let i = 0; i < entries.length; i++) {
        if (entries[i].length < 4) continue;
        files.push(entries[i].slice(3));
        // A rename or copy is followed by the path it came from.
        if (/^[RC]/.test(entries[i])) i++;
      }
      return files;
    },
    addWorktree(commit, owner) {
      const tmp = mkdtempSync(path.join(os.tmpdir(), WORKTREE_PREFIX));
      writeFileSync(path.join(tmp, "owner.json"), JSON.stringify(owner));
      const dir = path.join(tmp, "program");
      try {
        git(["worktree", "add", "--detach", dir, commit]);
      } catch (error) {
        rmSync(tmp, { recursive: true, force: true });
        throw new GitError(`cannot check out commit ${commit} into a worktree: ${stderrOf(error)}`);
      }
      // The old program runs with this checkout's dependencies; package-lock changes between
      // the two versions are not reinstalled (docs/rollback.md).
      const modules = path.join(root, "node_modules");
      if (existsSync(modules) && !existsSync(path.join(dir, "node_modules"))) {
        symlinkSync(modules, path.join(dir, "node_modules"), "dir");
      }
      return { dir, remove: () => removeWorktree(dir) };
    },
    rollbackWorktrees() {
      const list = tryGit(["worktree", "list", "--porcelain"]) ?? "";
      return list
        .split("\n")
        .filter((line) => line.startsWith("worktree "))
        .map((line) => line.slice("worktree ".length))
        .filter((dir) => path.basename(path.dirname(dir)).startsWith(WORKTREE_PREFIX))
        .map((dir) => ({ dir, owner: readOwner(path.join(path.dirname(dir), "owner.json")) }));
    },
    removeWorktree,
  };
}

function readOwner(file: string): Owner | undefined {
  try {
    return JSON.parse(readFileSync(file, "utf8")) as Owner;
  } catch {
    return undefined;
  }
}

function stderrOf(error: unknown): string {
  const stderr = (error as { stderr?: string }).stderr;
  return (stderr || (error as Error).message).trim();
}
