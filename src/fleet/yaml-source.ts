import {
  isMap,
  isNode,
  isScalar,
  LineCounter,
  parseDocument,
  type Document,
  type Node,
} from "yaml";
import type { z } from "zod";
import { formatFieldPath, type Problem } from "./problems";

/** A YAML file kept with its positions, so problems can be reported as file:line:col. */
export class YamlSource {
  private constructor(
    readonly file: string,
    private readonly document: Document,
    private readonly lineCounter: LineCounter,
  ) {}

  /** Parses `text`; a syntax error is reported at once, positioned, as an array of lines. */
  static parse(text: string, file: string): YamlSource | string[] {
    const lineCounter = new LineCounter();
    const document = parseDocument(text, { lineCounter, uniqueKeys: true });
    if (document.errors.length === 0) return new YamlSource(file, document, lineCounter);
    return document.errors.map((error) => {
      const at = error.linePos?.[0];
      return `${file}:${at?.line ?? 1}:${at?.col ?? 1}: ${error.message.split("\n")[0]}`;
    });
  }

  get value(): unknown {
    return this.document.toJS() as unknown;
  }

  /** Every problem as "file:line:col: field.path: message", in file order. */
  format(problems: Problem[]): string[] {
    return problems
      .map((problem) => {
        const node = this.nearestNode(problem);
        const { line, col } = this.lineCounter.linePos(node?.range?.[0] ?? 0);
        const field = problem.path.length ? `${formatFieldPath(problem.path)}: ` : "";
        return { line, col, text: `${this.file}:${line}:${col}: ${field}${problem.message}` };
      })
      .sort((a, b) => a.line - b.line || a.col - b.col)
      .map((line) => line.text);
  }

  /** The node at the path (its key, for an unknown key), or the closest existing ancestor. */
  private nearestNode(problem: Problem): Node | undefined {
    const { path } = problem;
    if (problem.atKey) {
      const parent = this.document.getIn(path.slice(0, -1), true);
      const key = path[path.length - 1];
      const pair = isMap(parent)
        ? parent.items.find((item) => isScalar(item.key) && item.key.value === key)
        : undefined;
      if (pair && isNode(pair.key)) return pair.key;
    }
    for (let depth = path.length; depth > 0; depth--) {
      const node = this.document.getIn(path.slice(0, depth), true);
      if (isNode(node)) return node;
    }
    return this.document.contents ?? undefined;
  }
}

/** zod issues as problems; an unknown key is reported at the key itself. */
export function zodProblems(issues: readonly z.core.$ZodIssue[]): Problem[] {
  return issues.flatMap((issue): Problem[] => {
    const path = issue.path.filter((key) => typeof key !== "symbol");
    if (issue.code === "unrecognized_keys") {
      return issue.keys.map((key) => ({
        path: [...path, key],
        message: `unknown key "${key}"; remove it or check its spelling`,
        atKey: true,
      }));
    }
    return [{ path, message: issue.message }];
  });
}
