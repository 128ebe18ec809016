/** Small statistics and formatting helpers for the benchmark report. */

export function median (values: readonly number[]): number {
  if (values.length === 0) return Number.NaN
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 === 1 ? sorted[mid] as number : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2
}

/** `12,345` */
export function int (n: number): string {
  return Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : 'n/a'
}

/** A number with `digits` significant digits, grouped: `1,234`, `12.3`, `0.612`. */
export function sig (n: number, digits = 3): string {
  if (!Number.isFinite(n)) return 'n/a'
  if (Math.abs(n) >= 10 ** digits) return int(n)
  return Number(n.toPrecision(digits)).toLocaleString('en-US', { maximumFractionDigits: 6 })
}

/** `2.5×` */
export function ratio (n: number): string {
  return Number.isFinite(n) ? `${sig(n, 3)}×` : 'n/a'
}

/** A plain-text table with a header row, columns padded; numbers right-aligned. */
export function table (header: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map(r => (r[i] ?? '').length)))
  const numeric = header.map((_, i) => rows.every(r => /^[-\d.,×%<>≥ n/a]*$/.test(r[i] ?? '')))
  const line = (cells: readonly string[]): string => cells.map((c, i) => numeric[i] === true ? c.padStart(widths[i] as number) : c.padEnd(widths[i] as number)).join('  ').trimEnd()
  return [line(header), widths.map(w => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n')
}
