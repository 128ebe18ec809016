/**
 * The coverage gate `npm test` ends with, read from the json-summary report tap writes
 * (`.tap/report/coverage-summary.json`). tap's own thresholds (`.taprc`) hold the whole
 * tree to its floor; this adds what tap cannot say: the engine, where every decision is
 * made, is held to 100 % of its lines and branches, file by file.
 */
import { readFileSync } from 'node:fs'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'

interface Metric { total: number, covered: number, pct: number | 'Unknown' }
type Summary = Record<string, { lines: Metric, branches: Metric }>

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const report = join(root, '.tap', 'report', 'coverage-summary.json')

/** Folders held to 100 % of lines and branches. */
const FULL = ['src/engine/']

let summary: Summary
try {
  summary = JSON.parse(readFileSync(report, 'utf8')) as Summary
} catch (err) {
  console.error(`coverage gate: cannot read ${relative(root, report)} (${err instanceof Error ? err.message : String(err)}); run tap first`)
  process.exit(1)
}

const short = (file: string): string => relative(root, file)
const gated = Object.keys(summary).filter(file => file !== 'total' && FULL.some(folder => short(file).startsWith(folder)))
const failures: string[] = []
for (const file of gated) {
  const entry = summary[file]
  if (entry === undefined) continue
  for (const metric of ['lines', 'branches'] as const) {
    const { covered, total } = entry[metric]
    if (covered < total) failures.push(`${short(file)}: ${metric} ${covered}/${total}`)
  }
}
if (gated.length === 0) failures.push(`no file of ${FULL.join(', ')} in the report: were the engine tests run?`)

if (failures.length > 0) {
  console.error(`coverage gate: ${FULL.join(', ')} must be covered to 100 % of lines and branches:\n  ${failures.join('\n  ')}`)
  process.exit(1)
}
console.log(`coverage gate: ${gated.length} files of ${FULL.join(', ')} at 100 % of lines and branches`)
