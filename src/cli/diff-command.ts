/**
 * `gatehouse diff <old bundle> <new bundle> [--subjects file] [--format text|json|markdown]`:
 * the impact of replacing one policy bundle by another (docs/policy-diff.md), offline.
 * Exit status: 0 no difference, 1 differences, 2 an input could not be loaded or the
 * command line is wrong.
 */
import { DIFF_FORMATS, diffPolicies, formatDiff, loadBundleText, loadSubjectsText } from '../service/policy-diff/index.js'
import type { CompiledPolicy, DiffFormat, DiffIssue, PolicyDiff, Subject } from '../service/policy-diff/index.js'
import { parseCommandLine, UsageError } from './args.js'
import type { CliIo } from './io.js'
import { fileErrorReason } from './io.js'
import { formatIssue } from './reporters.js'

export const DIFF_USAGE = `usage: gatehouse diff <old bundle> <new bundle> [--subjects file] [--format text|json|markdown]

Shows what changes when the new bundle replaces the old one: per role, the actions
gained, lost or changed (scope, flags) and the field modes changed; the flags, modules,
actions, fields and roles added or removed; and, with --subjects, what each subject
gains or loses (tenant-wide and per project). See docs/policy-diff.md.

options:
  -s, --subjects <file>  subjects to report on (YAML or JSON: \`subjects:\` as in a policy
                         test suite, or a list of subjects with \`id\`)
  -f, --format <name>    text (default), markdown (a pull-request comment) or json
  -h, --help             show this help

exit status: 0 no difference, 1 differences, 2 an input could not be loaded or bad usage
`

export const EXIT_SAME = 0
export const EXIT_DIFFERENT = 1
export const EXIT_INVALID = 2

export async function diffCommand (args: readonly string[], io: CliIo): Promise<number> {
  const parsed = parseCommandLine(args, {
    subjects: { type: 'string', short: 's' },
    format: { type: 'string', short: 'f' },
    help: { type: 'boolean', short: 'h' }
  }, 'diff')
  if (parsed.values.help === true) {
    io.stdout(DIFF_USAGE)
    return EXIT_SAME
  }
  const format = parsed.values.format ?? 'text'
  if (typeof format !== 'string' || !isFormat(format)) {
    throw new UsageError('diff', `unknown format \`${String(format)}\`: expected ${DIFF_FORMATS.map(f => `\`${f}\``).join(', ')}`)
  }
  const [oldFile, newFile, ...extra] = parsed.positionals
  if (oldFile === undefined || newFile === undefined) throw new UsageError('diff', 'name the old bundle and the new bundle')
  if (extra.length > 0) throw new UsageError('diff', `unexpected argument \`${extra[0] ?? ''}\`: name two bundles`)

  const issues: DiffIssue[] = []
  const before = loadBundle(oldFile, io, issues)
  const after = loadBundle(newFile, io, issues)
  const subjectsFile = parsed.values.subjects
  let subjects: Subject[] | undefined
  if (typeof subjectsFile === 'string' && before !== undefined && after !== undefined) {
    subjects = loadSubjects(subjectsFile, [before, after], io, issues)
  }
  if (issues.length > 0 || before === undefined || after === undefined || (subjectsFile !== undefined && subjects === undefined)) {
    return reportInvalid(issues, format, io)
  }
  const diff: PolicyDiff = diffPolicies(before, after, subjects === undefined ? {} : { subjects })
  io.stdout(formatDiff(diff, format, { before: oldFile, after: newFile }))
  return diff.changed ? EXIT_DIFFERENT : EXIT_SAME
}

/** Problems on stderr, one `file:line:column: error: message` each; with `--format json`, also as JSON on stdout. */
function reportInvalid (issues: readonly DiffIssue[], format: DiffFormat, io: CliIo): number {
  for (const issue of issues) io.stderr(`${formatIssue(issue)}\n`)
  if (format === 'json') io.stdout(`${JSON.stringify({ ok: false, issues }, null, 2)}\n`)
  return EXIT_INVALID
}

function readText (file: string, what: string, io: CliIo, issues: DiffIssue[]): string | undefined {
  try {
    return io.readFile(file)
  } catch (err) {
    issues.push({ file, path: '', code: 'unreadable_file', message: `cannot read ${what} \`${file}\`: ${fileErrorReason(err)}` })
    return undefined
  }
}

function loadBundle (file: string, io: CliIo, issues: DiffIssue[]): CompiledPolicy | undefined {
  const text = readText(file, 'bundle', io, issues)
  if (text === undefined) return undefined
  const loaded = loadBundleText(text, file)
  if (loaded.ok) return loaded.policy
  issues.push(...loaded.issues)
  return undefined
}

function loadSubjects (file: string, policies: CompiledPolicy[], io: CliIo, issues: DiffIssue[]): Subject[] | undefined {
  const text = readText(file, 'subjects', io, issues)
  if (text === undefined) return undefined
  const loaded = loadSubjectsText(text, file, policies)
  if (loaded.ok) return loaded.subjects
  issues.push(...loaded.issues)
  return undefined
}

function isFormat (name: string): name is DiffFormat {
  return (DIFF_FORMATS as readonly string[]).includes(name)
}
