/** A plain-text table: columns padded to their widest cell, a rule under the header. */
export function renderTable(header: string[], rows: string[][]): string {
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.flatMap((row) => row[column].split("\n").map((l) => l.length))),
  );
  const line = (cells: string[]) =>
    cells
      .map((cell, column) => cell.padEnd(widths[column]))
      .join("  ")
      .trimEnd();
  const lines = [line(header), line(widths.map((width) => "-".repeat(width)))];
  for (const row of rows) {
    const cellLines = row.map((cell) => cell.split("\n"));
    const height = Math.max(...cellLines.map((cell) => cell.length));
    for (let i = 0; i < height; i++) lines.push(line(cellLines.map((cell) => cell[i] ?? "")));
  }
  return lines.join("\n");
}

/** Names joined with ", ", wrapped to lines of at most `width` characters. */
export function wrapList(names: string[], width: number): string {
  const lines: string[] = [];
  let current = "";
  for (const name of names) {
    const next = current ? `${current}, ${name}` : name;
    if (next.length > width && current) {
      lines.push(`${current},`);
      current = name;
    } else {
      current = next;
    }
  }
  if (current) lines.push(current);
  return lines.join("\n");
}
