const BINARY_UNITS: Record<string, number> = { Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3 };

/** "512Mi" -> 536870912; the schema admits only Ki, Mi and Gi. */
export function memoryBytes(size: string): number {
  const unit = size.slice(-2);
  return Number(size.slice(0, -2)) * BINARY_UNITS[unit];
}
