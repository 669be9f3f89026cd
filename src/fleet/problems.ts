/** A path into the fleet file, as zod and the yaml library both spell it. */
export type FieldPath = (string | number)[];

/** Something wrong with a fleet file, at a field; `loader.ts` turns the path into a position. */
export interface Problem {
  path: FieldPath;
  message: string;
  /** Point at the key itself rather than its value (for unknown keys). */
  atKey?: boolean;
}

/** "groups.core_platform.agents[0].ports.health" */
export function formatFieldPath(path: FieldPath): string {
  return path
    .map((key, index) => (typeof key === "number" ? `[${key}]` : index === 0 ? key : `.${key}`))
    .join("");
}

/** The known name closest to `name`, when it is close enough to be a likely typo. */
export function closestName(name: string, known: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(name.length / 3)) + 1;
  for (const candidate of known) {
    if (candidate.toLowerCase().startsWith(name.toLowerCase())) return candidate;
    const distance = editDistance(name.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

export function didYouMean(name: string, known: Iterable<string>): string {
  const suggestion = closestName(name, known);
  return suggestion ? ` Did you mean "${suggestion}"?` : "";
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1);
      current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, substitution);
    }
    previous = current;
  }
  return previous[b.length];
}
