/**
 * Aligns rows into columns the way Go's tabwriter does for podman: each
 * column as wide as its widest cell, separated by two spaces, no borders.
 */
export function alignColumns(rows: string[][]): string {
  const widths: number[] = [];
  for (const row of rows) {
    row.forEach((cell, i) => {
      widths[i] = Math.max(widths[i] ?? 0, cell.length);
    });
  }
  return rows
    .map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] + 2))).join('').trimEnd())
    .join('\n') + (rows.length ? '\n' : '');
}

/** Aligns tab-separated template output (`table {{.A}}\t{{.B}}`). */
export function alignTabbed(lines: string[]): string {
  return alignColumns(lines.map((l) => l.split('\t')));
}
