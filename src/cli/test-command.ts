/**
 * `gatehouse test <suite>... [--reporter text|junit|tap|json]`: runs policy test suites
 * offline (no server, no database) through the same loader and runner as the HTTP API.
 * Exit status: 0 every case passed, 1 a case failed, 2 a suite could not be loaded or the
 * command line is wrong.
 */
import { dirname, isAbsolute, join } from 'node:path'
import { loadSuiteText, runSuite } from '../service/policy-tests/index.js'
import type { ReadBundle } from '../service/policy-tests/index.js'
import type { CliIo } from './io.js'
import { fileErrorReason } from './io.js'
import { parseCommandLine, UsageError } from './args.js'
import type { ReporterName, SuiteOutcome } from './reporters.js'
import { formatIssue, report, REPORTERS, totalsOf } from './reporters.js'

export const TEST_USAGE = `usage: gatehouse test <suite>... [--reporter text|junit|tap|json]

Runs policy test suites (YAML or JSON, see docs/policy-tests.md) offline.

options:
  -r, --reporter <name>  text (default), junit, tap or json; the report goes to stdout
  -h, --help             show this help

exit status: 0 all cases passed, 1 a case failed, 2 a suite could not be loaded or bad usage
`

export const EXIT_PASSED = 0
export const EXIT_FAILED = 1
export const EXIT_INVALID = 2

export async function testCommand (args: readonly string[], io: CliIo): Promise<number> {
  const parsed = parseCommandLine(args, {
    reporter: { type: 'string', short: 'r' },
    help: { type: 'boolean', short: 'h' }
  }, 'test')
  if (parsed.values.help === true) {
    io.stdout(TEST_USAGE)
    return EXIT_PASSED
  }
  const reporter = parsed.values.reporter ?? 'text'
  if (typeof reporter !== 'string' || !isReporter(reporter)) {
    throw new UsageError('test', `unknown reporter \`${String(reporter)}\`: expected ${REPORTERS.map(r => `\`${r}\``).join(', ')}`)
  }
  if (parsed.positionals.length === 0) throw new UsageError('test', 'name at least one suite file')

  const outcomes = parsed.positionals.map(file => runSuiteFile(file, io))
  for (const o of outcomes) {
    if (o.status === 'invalid') for (const issue of o.issues) io.stderr(`${formatIssue(issue)}\n`)
  }
  io.stdout(report(reporter, outcomes))
  const totals = totalsOf(outcomes)
  if (totals.invalid > 0) return EXIT_INVALID
  return totals.failed > 0 ? EXIT_FAILED : EXIT_PASSED
}

/** Loads and runs one suite file; a file that cannot be read or loaded is an `invalid` outcome. */
export function runSuiteFile (file: string, io: CliIo): SuiteOutcome {
  let text: string
  try {
    text = io.readFile(file)
  } catch (err) {
    return { file, status: 'invalid', issues: [{ file, path: '', code: 'unreadable_file', message: `cannot read \`${file}\`: ${fileErrorReason(err)}` }] }
  }
  const readBundle: ReadBundle = path => {
    const bundleFile = isAbsolute(path) ? path : join(dirname(file), path)
    try {
      return { ok: true, file: bundleFile, text: io.readFile(bundleFile) }
    } catch (err) {
      return { ok: false, message: fileErrorReason(err) }
    }
  }
  const loaded = loadSuiteText(text, { file, readBundle })
  if (!loaded.ok) return { file, status: 'invalid', issues: loaded.issues }
  return { file, status: 'ran', result: runSuite(loaded.suite) }
}

function isReporter (name: string): name is ReporterName {
  return (REPORTERS as readonly string[]).includes(name)
}
