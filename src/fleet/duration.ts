import { quote } from "./problems";

const UNIT_SECONDS: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600 };
const DURATION = /^(?:\d+(?:\.\d+)?(?:ms|s|m|h))+$/;
const PART = /(\d+(?:\.\d+)?)(ms|s|m|h)/g;

/** Docker keeps durations as int64 nanoseconds: 2562047h47m16.854775807s at most. */
export const MAX_DURATION_SECONDS = Math.floor((2 ** 63 - 1) / 1e9);

/** True when `text` is a duration such as "5s", "2m", "1m30s" or "250ms". */
function isDuration(text: string): boolean {
  return DURATION.test(text);
}

/** Why `text` is not a usable duration, or undefined when it is. */
export function durationProblem(text: string): string | undefined {
  if (!isDuration(text)) {
    return `${quote(text)} is not a duration: write one such as "5s", "2m" or "1m30s"`;
  }
  if (!(durationSeconds(text) <= MAX_DURATION_SECONDS)) {
    return `${quote(text)} is longer than Docker can hold (int64 nanoseconds, about 292 years); use a realistic duration, such as "5m"`;
  }
  return undefined;
}

/** Seconds in a duration string; call only on text that passed `isDuration`. */
export function durationSeconds(text: string): number {
  let seconds = 0;
  for (const [, amount, unit] of text.matchAll(PART)) {
    seconds += Number(amount) * UNIT_SECONDS[unit];
  }
  return Math.round(seconds * 1000) / 1000;
}

/** "90s" -> "1m30s": the shortest exact spelling, for tables and messages. */
export function formatDuration(seconds: number): string {
  if (seconds === 0) return "0s";
  if (seconds < 1) return `${Math.round(seconds * 1000)}ms`;
  const hours = Math.floor(seconds / 3600);
  const minutes = Math.floor((seconds % 3600) / 60);
  const rest = Math.round((seconds % 60) * 1000) / 1000;
  return [hours && `${hours}h`, minutes && `${minutes}m`, rest && `${rest}s`]
    .filter(Boolean)
    .join("");
}
