import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import * as path from "node:path";

/** Saves Pulumi.<stack>.yaml of `dir`; the returned function restores it byte for byte. */
export function guardStackFile(dir: string, stack: string): () => void {
  const file = path.join(dir, `Pulumi.${stack}.yaml`);
  const saved = existsSync(file) ? readFileSync(file) : undefined;
  return () => {
    if (saved === undefined) rmSync(file, { force: true });
    else writeFileSync(file, saved);
  };
}
