/** A path into the fleet file, as zod and the YAML reader both spell it. */
export type FieldPath = (string | number)[];

/** Something wrong with a fleet file, at a field; `YamlSource.format` turns the path into a position. */
export interface Problem {
  path: FieldPath;
  message: string;
  /** Point at the key itself rather than its value (for unknown keys). */
  atKey?: boolean;
}

/** Longest echo of a value in a message; the rest is elided. */
const ECHO_MAX = 60;
/**
 * Characters that could break a message line or hide text in a terminal: C0/C1 controls,
 * line and paragraph separators, zero-width and bidirectional controls.
 */
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/g;

/** Every character that could forge or hide a line, as a \uXXXX escape: one message, one line. */
export function escapeUnprintable(text: string): string {
  return text.replace(UNPRINTABLE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

/** A value from the file as it appears in a message: double-quoted, escaped, and cut short. */
export function quote(value: unknown): string {
  const text = String(value);
  const short = text.length > ECHO_MAX ? `${text.slice(0, ECHO_MAX)}...` : text;
  return `"${escapeUnprintable(short.replace(/\\/g, "\\\\").replace(/"/g, '\\"'))}"`;
}

/** "a, b, c and 7 more": a bounded list of names for a message. */
export function listNames(names: readonly string[], max = 8): string {
  const shown = names.slice(0, max).map(quote).join(", ");
  return names.length > max ? `${shown} and ${names.length - max} more` : shown;
}

const PLAIN_KEY = /^[A-Za-z_][A-Za-z0-9_:-]{0,62}$/;

/** "groups.core_platform.agents[0].ports.health"; a key that is not a plain name is quoted. */
export function formatFieldPath(path: FieldPath): string {
  return path
    .map((key, index) => {
      if (typeof key === "number") return `[${key}]`;
      if (!PLAIN_KEY.test(key)) return `[${quote(key)}]`;
      return index === 0 ? key : `.${key}`;
    })
    .join("");
}

/**
 * Edit-distance cells one `Suggester` may compute in all: "did you mean" stays a few
 * milliseconds however many unknown names a file has and however long they are.
 */
const SUGGESTION_WORK = 2_000_000;
/** Names longer than this get no suggestion: a typo of a 63-character name is not likely. */
const SUGGESTION_MAX_LENGTH = 64;

/** Finds the known name closest to a misspelt one, within a fixed budget of work. */
export class Suggester {
  private readonly known: { name: string; lower: string }[];
  private work = SUGGESTION_WORK;

  constructor(known: Iterable<string>) {
    this.known = [...new Set(known)]
      .filter((name) => name.length <= SUGGESTION_MAX_LENGTH)
      .map((name) => ({ name, lower: name.toLowerCase() }));
  }

  /** ' Did you mean "x"?' when a known name is close enough to be a likely typo, else "". */
  didYouMean(name: string): string {
    const suggestion = this.closest(name);
    return suggestion === undefined ? "" : ` Did you mean ${quote(suggestion)}?`;
  }

  closest(name: string): string | undefined {
    if (name.length === 0 || name.length > SUGGESTION_MAX_LENGTH) return undefined;
    const lower = name.toLowerCase();
    const limit = Math.max(2, Math.floor(name.length / 3));
    let best: string | undefined;
    let bestDistance = limit + 1;
    for (const candidate of this.known) {
      const cost = (lower.length + 1) * (2 * limit + 1);
      if (this.work < cost) return best;
      this.work -= cost;
      if (candidate.lower.startsWith(lower)) return candidate.name;
      const distance = boundedEditDistance(lower, candidate.lower, bestDistance - 1);
      if (distance < bestDistance) {
        best = candidate.name;
        bestDistance = distance;
      }
    }
    return best;
  }
}

/**
 * Levenshtein distance of `a` and `b` if it is at most `limit`, else limit + 1. Only the band
 * of width 2 * limit + 1 around the diagonal is computed: O(|a| * limit).
 */
export function boundedEditDistance(a: string, b: string, limit: number): number {
  if (Math.abs(a.length - b.length) > limit) return limit + 1;
  const outside = limit + 1;
  let previous = Array.from({ length: b.length + 1 }, (_, j) => (j <= limit ? j : outside));
  for (let i = 1; i <= a.length; i++) {
    const current = new Array<number>(b.length + 1).fill(outside);
    current[0] = i <= limit ? i : outside;
    const from = Math.max(1, i - limit);
    const to = Math.min(b.length, i + limit);
    let rowBest = current[0];
    for (let j = from; j <= to; j++) {
      const substitution = previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1);
      current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, substitution, outside);
      rowBest = Math.min(rowBest, current[j]);
    }
    if (rowBest > limit) return outside;
    previous = current;
  }
  return Math.min(previous[b.length], outside);
}
