const UNIT_SECONDS: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600 };
const DURATION = /^(?:\d+(?:\.\d+)?(?:ms|s|m|h))+$/;
const PART = /(\d+(?:\.\d+)?)(ms|s|m|h)/g;

/** True when `text` is a duration such as "5s", "2m", "1m30s" or "250ms". */
export function isDuration(text: string): boolean {
  return DURATION.test(text);
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
