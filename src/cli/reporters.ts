/**
 * The reports of `gatehouse test`: `text` for people, `junit`, `tap` and `json` for CI
 * systems. Each turns the outcome of every suite named on the command line into the text
 * written to stdout; problems that kept a suite from loading appear in every report (and
 * the command also prints them to stderr).
 */
import { stringify } from 'yaml'
import type { CaseResult, SuiteIssue, SuiteResult } from '../service/policy-tests/index.js'

export const REPORTERS = ['text', 'junit', 'tap', 'json'] as const
export type ReporterName = typeof REPORTERS[number]

/** One suite named on the command line: run, or refused with its issues. */
export type SuiteOutcome =
  | { file: string, status: 'ran', result: SuiteResult }
  | { file: string, status: 'invalid', issues: SuiteIssue[] }

export interface Totals {
  suites: number
  invalid: number
  cases: number
  passed: number
  failed: number
}

export function totalsOf (outcomes: readonly SuiteOutcome[]): Totals {
  const totals: Totals = { suites: outcomes.length, invalid: 0, cases: 0, passed: 0, failed: 0 }
  for (const o of outcomes) {
    if (o.status === 'invalid') {
      totals.invalid++
      continue
    }
    totals.cases += o.result.total
    totals.passed += o.result.passed
    totals.failed += o.result.failed
  }
  return totals
}

/** `file:line:column: error: message`, the form editors and CI annotations recognise. */
export function formatIssue (issue: SuiteIssue): string {
  const where = issue.line === undefined ? `${issue.file}${issue.path === '' ? '' : ` (at \`${issue.path}\`)`}` : `${issue.file}:${issue.line}:${issue.column ?? 1}`
  return `${where}: error: ${issue.message}`
}

export function caseLocation (c: CaseResult): string {
  return c.line === undefined ? c.file : `${c.file}:${c.line}:${c.column ?? 1}`
}

export function report (name: ReporterName, outcomes: readonly SuiteOutcome[]): string {
  switch (name) {
    case 'text': return textReport(outcomes)
    case 'junit': return junitReport(outcomes)
    case 'tap': return tapReport(outcomes)
    case 'json': return jsonReport(outcomes)
  }
}

// --- text ---------------------------------------------------------------------------

function textReport (outcomes: readonly SuiteOutcome[]): string {
  const lines: string[] = []
  for (const o of outcomes) {
    if (o.status === 'invalid') {
      // The problems themselves go to stderr (see test-command.ts), once.
      lines.push(`INVALID ${o.file}: the suite could not be loaded (${plural(o.issues.length, 'problem')}, on stderr)`, '')
      continue
    }
    const { result } = o
    for (const c of result.cases) {
      if (!c.passed) lines.push(...failureLines(c), '')
    }
    const verdict = result.failed === 0 ? 'PASS' : 'FAIL'
    lines.push(`${verdict} ${result.file}: ${plural(result.total, 'case')}, ${result.passed} passed, ${result.failed} failed`)
    lines.push('')
  }
  const t = totalsOf(outcomes)
  const invalid = t.invalid === 0 ? '' : `, ${t.invalid} could not be loaded`
  lines.push(`${plural(t.suites, 'suite')}${invalid}; ${plural(t.cases, 'case')}: ${t.passed} passed, ${t.failed} failed`)
  return `${lines.join('\n')}\n`
}

function failureLines (c: CaseResult): string[] {
  const lines = [`FAIL ${c.name}`, `  at:       ${caseLocation(c)}`]
  for (const sentence of c.says) lines.push(`  says:     ${JSON.stringify(sentence)}`)
  lines.push(`  case:     ${c.subject} / ${c.action} / ${c.resource.label}`)
  lines.push(`  expected: ${expectedText(c)}`)
  lines.push(`  actual:   ${c.actual.decision}, reason ${c.actual.reason.code}: ${c.actual.reason.message}`)
  if (c.expected.fields !== undefined && c.actual.fields !== undefined) {
    lines.push(`  fields:   visible [${c.actual.fields.visible.join(', ')}], editable [${c.actual.fields.editable.join(', ')}]`)
  }
  for (const m of c.mismatches) lines.push(`  - ${m}`)
  return lines
}

function expectedText (c: CaseResult): string {
  const parts: string[] = [c.expected.decision]
  if (c.expected.reason !== undefined) parts.push(`reason ${c.expected.reason}`)
  const fields = c.expected.fields
  if (fields?.visible !== undefined) parts.push(`visible [${fields.visible.join(', ')}]`)
  if (fields?.editable !== undefined) parts.push(`editable [${fields.editable.join(', ')}]`)
  return parts.join(', ')
}

function plural (n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`
}

// --- junit --------------------------------------------------------------------------

function junitReport (outcomes: readonly SuiteOutcome[]): string {
  const t = totalsOf(outcomes)
  const out = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="gatehouse" tests="${t.cases + t.invalid}" failures="${t.failed}" errors="${t.invalid}">`
  ]
  for (const o of outcomes) {
    if (o.status === 'invalid') {
      const details = o.issues.map(formatIssue).join('\n')
      out.push(`  <testsuite name="${xml(o.file)}" tests="1" failures="0" errors="1" skipped="0">`)
      out.push(`    <testcase name="${xml(`load ${o.file}`)}" classname="${xml(o.file)}" file="${xml(o.file)}">`)
      out.push(`      <error type="invalid_suite" message="${xml(o.issues[0] === undefined ? 'the suite could not be loaded' : formatIssue(o.issues[0]))}">${xmlText(details)}</error>`)
      out.push('    </testcase>', '  </testsuite>')
      continue
    }
    const r = o.result
    out.push(`  <testsuite name="${xml(r.name ?? r.file)}" tests="${r.total}" failures="${r.failed}" errors="0" skipped="0" file="${xml(r.file)}">`)
    for (const c of r.cases) {
      const line = c.line === undefined ? '' : ` line="${c.line}"`
      const open = `    <testcase name="${xml(c.name)}" classname="${xml(r.name ?? r.file)}" file="${xml(c.file)}"${line}`
      if (c.passed) {
        out.push(`${open}/>`)
        continue
      }
      out.push(`${open}>`)
      out.push(`      <failure type="policy_test" message="${xml(c.mismatches.join('; '))}">${xmlText(failureLines(c).join('\n'))}</failure>`)
      out.push('    </testcase>')
    }
    out.push('  </testsuite>')
  }
  out.push('</testsuites>')
  return `${out.join('\n')}\n`
}

/** Text for an XML element: markup escaped, characters XML 1.0 forbids dropped. */
function xmlText (text: string): string {
  return text
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g, '')
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll('\'', '&apos;')
}

/** Text for an XML attribute value: as `xmlText`, line breaks kept as character references. */
function xml (text: string): string {
  return xmlText(text).replaceAll('\r', '&#13;').replaceAll('\n', '&#10;')
}

// --- tap ----------------------------------------------------------------------------

function tapReport (outcomes: readonly SuiteOutcome[]): string {
  const points: string[] = []
  let n = 0
  for (const o of outcomes) {
    if (o.status === 'invalid') {
      n++
      points.push(`not ok ${n} - ${tapDescription(`${o.file}: the suite could not be loaded`)}`)
      points.push(yamlBlock({ file: o.file, issues: o.issues.map(formatIssue) }))
      continue
    }
    for (const c of o.result.cases) {
      n++
      points.push(`${c.passed ? 'ok' : 'not ok'} ${n} - ${tapDescription(`${o.file}: ${c.name}`)}`)
      if (!c.passed) {
        const diag: Record<string, unknown> = {
          at: caseLocation(c),
          expected: c.expected,
          actual: c.actual,
          mismatches: c.mismatches
        }
        if (c.says.length > 0) diag.says = c.says
        points.push(yamlBlock(diag))
      }
    }
  }
  const t = totalsOf(outcomes)
  return [
    'TAP version 14',
    `1..${n}`,
    ...points,
    `# suites ${t.suites}, invalid ${t.invalid}, cases ${t.cases}, passed ${t.passed}, failed ${t.failed}`
  ].join('\n') + '\n'
}

/** One line, with `#` escaped so that it is not read as a directive. */
function tapDescription (text: string): string {
  return text.replace(/[\r\n]+/g, ' ').replaceAll('\\', '\\\\').replaceAll('#', '\\#')
}

function yamlBlock (value: unknown): string {
  const body = stringify(value, { lineWidth: 0 }).trimEnd().split('\n').map(l => `  ${l}`)
  return ['  ---', ...body, '  ...'].join('\n')
}

// --- json ---------------------------------------------------------------------------

function jsonReport (outcomes: readonly SuiteOutcome[]): string {
  const t = totalsOf(outcomes)
  const suites = outcomes.map(o => o.status === 'invalid'
    ? { file: o.file, status: 'invalid', issues: o.issues }
    : { status: o.result.failed === 0 ? 'passed' : 'failed', ...o.result })
  return `${JSON.stringify({ ok: t.invalid === 0 && t.failed === 0, summary: t, suites }, null, 2)}\n`
}
