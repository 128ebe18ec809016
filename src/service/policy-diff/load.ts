/**
 * The inputs of a policy diff, validated: bundle texts (YAML or JSON) and a subjects
 * document, with every problem reported at once as `file`, JSON pointer, code and message,
 * plus line and column when the input was text. Pure: the caller reads the files.
 */
import type { CompiledPolicy, Issue, Subject } from '../../engine/index.js'
import { checkSubject, compileBundle } from '../../engine/index.js'
import { issuePosition, parseSource, sortIssues, SUITE_KEYS } from '../policy-tests/index.js'
import type { ParsedSource, ParseResult, SuiteIssue } from '../policy-tests/index.js'
import { child, isRecord, jsonType } from '../json-text.js'

/** One problem with an input of the diff: the same shape as a suite issue, so that the CLI prints both alike. */
export type DiffIssue = SuiteIssue

/** The codes of subjects-document problems beyond the engine's issue codes. Stable: never rename one. */
export const DIFF_ISSUE_CODES = {
  syntax_error: 'the text is not valid YAML or JSON (duplicate keys included)',
  duplicate_subject: 'two subjects of the document have the same id'
} as const

export type BundleLoadResult = { ok: true, policy: CompiledPolicy } | { ok: false, issues: DiffIssue[] }
export type SubjectsLoadResult = { ok: true, subjects: Subject[] } | { ok: false, issues: DiffIssue[] }

/** Keys of a subjects document. Those of a policy test suite are accepted and ignored, so that a suite serves as one. */
const SUBJECTS_KEYS = ['subjects']
const IGNORED_SUITE_KEYS: readonly string[] = SUITE_KEYS.filter(key => key !== 'subjects')

/** Parses and compiles a bundle text; issues carry `file` and the line and column of the part they name. */
export function loadBundleText (text: string, file: string): BundleLoadResult {
  return loadBundleSource(parseSource(text), file)
}

/** `loadBundleText` of a text already parsed (e.g. off the event loop, `parseSourceOffLoop`). */
export function loadBundleSource (parsed: ParseResult, file: string): BundleLoadResult {
  if (!parsed.ok) return { ok: false, issues: parsed.problems.map(p => ({ file, ...p.position, path: '', code: 'syntax_error', message: `invalid yaml: ${p.message}` })) }
  const compiled = compileBundle(parsed.source.value)
  if (compiled.ok) return { ok: true, policy: compiled.policy }
  return { ok: false, issues: locateBundleIssues(compiled.issues, parsed.source.locate, file) }
}

/** The issues of a bundle text that did not compile (compiled elsewhere: `loadBundleSource`'s second half), each with its line and column. */
export function locateBundleIssues (issues: readonly Issue[], locate: ParsedSource['locate'], file: string): DiffIssue[] {
  return sortIssues(issues.map(issue => located(file, locate, issue.path, issue.code, issue.message)))
}

/**
 * Loads a subjects document from its text (see `loadSubjectsValue` for the shapes). Names
 * are checked against both policies: a role (flag, module, action) that only one of them
 * declares is accepted, since a diff is about exactly such changes.
 */
export function loadSubjectsText (text: string, file: string, policies: readonly CompiledPolicy[]): SubjectsLoadResult {
  const parsed = parseSource(text)
  if (!parsed.ok) return { ok: false, issues: parsed.problems.map(p => ({ file, ...p.position, path: '', code: 'syntax_error', message: `invalid yaml: ${p.message}` })) }
  return loadSubjects(parsed.source.value, file, parsed.source.locate, policies)
}

/**
 * Loads a parsed subjects document (a JSON request body: issues then have a path, no
 * line). Its shapes:
 * - `{ subjects: { <id>: <subject>, ... } }`, as in a policy test suite (whose other keys
 *   are accepted and ignored, so that a suite is a subjects document);
 * - `{ subjects: [ { id: <id>, ... }, ... ] }` or a bare list `[ { id: <id>, ... }, ... ]`.
 * A subject is DESIGN.md §2's subject document; `roles` defaults to none. A name is refused
 * only when neither policy declares it.
 */
export function loadSubjectsValue (value: unknown, file: string, policies: readonly CompiledPolicy[]): SubjectsLoadResult {
  return loadSubjects(value, file, undefined, policies)
}

function loadSubjects (value: unknown, file: string, locate: ParsedSource['locate'] | undefined, policies: readonly CompiledPolicy[]): SubjectsLoadResult {
  const issues: DiffIssue[] = []
  const add = (path: string, code: string, message: string): void => { issues.push(located(file, locate, path, code, message)) }
  const subjects: Subject[] = []
  // Each entry is checked as soon as it is read, so that issues come in document order.
  const visit = ({ id, doc, path, idPath }: SubjectEntry): void => {
    const subject = { roles: [], ...doc, id } as unknown as Subject
    const before = issues.length
    for (const issue of commonIssues(policies, subject)) {
      if (issue.path === '/id') add(idPath, issue.code, `subject \`${id}\`: ${issue.message}`)
      else add(`${path}${issue.path}`, issue.code, `subject \`${id}\`: ${issue.message}`)
    }
    if (issues.length === before) subjects.push(subject)
  }
  subjectEntries(value, add, visit)
  if (issues.length > 0) return { ok: false, issues: sortIssues(issues) }
  return { ok: true, subjects }
}

interface SubjectEntry {
  id: string
  doc: Record<string, unknown>
  /** JSON pointer of the subject document. */
  path: string
  /** Where a problem with the id is shown: the map key, or the `id` property. */
  idPath: string
}

type AddIssue = (path: string, code: string, message: string) => void

/** Reads the subject entries of a document, calling `visit` on each well-formed one in document order. */
function subjectEntries (value: unknown, add: AddIssue, visit: (entry: SubjectEntry) => void): SubjectEntry[] {
  if (Array.isArray(value)) return listEntries(value, '', add, visit)
  if (!isRecord(value)) {
    add('', 'invalid_type', `a subjects document must be an object with \`subjects\` or a list of subjects, not ${jsonType(value)}`)
    return []
  }
  for (const key of Object.keys(value)) {
    if (!SUBJECTS_KEYS.includes(key) && !IGNORED_SUITE_KEYS.includes(key)) {
      add(child('', key), 'unknown_property', `unknown property \`${key}\` in the subjects document: expected \`subjects\``)
    }
  }
  const subjects = value.subjects
  if (subjects === undefined) {
    add('/subjects', 'missing_property', 'the subjects document lacks required property `subjects`')
    return []
  }
  if (Array.isArray(subjects)) return listEntries(subjects, '/subjects', add, visit)
  if (!isRecord(subjects)) {
    add('/subjects', 'invalid_type', `\`subjects\` must be a map of subject id to subject, or a list of subjects, not ${jsonType(subjects)}`)
    return []
  }
  const entries: SubjectEntry[] = []
  for (const [id, doc] of Object.entries(subjects)) {
    const path = child('/subjects', id)
    if (id === '') {
      add(path, 'invalid_value', 'a subject id must not be empty')
      continue
    }
    if (!isRecord(doc)) {
      add(path, 'invalid_type', `subject \`${id}\` must be an object, not ${jsonType(doc)}`)
      continue
    }
    if (Object.hasOwn(doc, 'id')) {
      add(child(path, 'id'), 'unknown_property', `subject \`${id}\`: unknown property \`id\`: the entry's key is the subject id`)
      continue
    }
    const entry = { id, doc, path, idPath: path }
    entries.push(entry)
    visit(entry)
  }
  return entries
}

function listEntries (list: unknown[], at: string, add: AddIssue, visit: (entry: SubjectEntry) => void): SubjectEntry[] {
  const entries: SubjectEntry[] = []
  list.forEach((doc: unknown, index) => {
    const path = child(at, index)
    if (!isRecord(doc)) {
      add(path, 'invalid_type', `a subject must be an object, not ${jsonType(doc)}`)
      return
    }
    const id = doc.id
    if (typeof id !== 'string' || id === '') {
      const why = id === undefined ? 'lacks required property `id`' : 'has an invalid `id`: expected a non-empty string'
      add(id === undefined ? path : child(path, 'id'), id === undefined ? 'missing_property' : 'invalid_type', `subject ${index + 1} of the list ${why}`)
      return
    }
    const first = entries.find(e => e.id === id)
    if (first !== undefined) {
      add(child(path, 'id'), 'duplicate_subject', `subject \`${id}\` is declared twice (at \`${first.path}\` and \`${path}\`)`)
      return
    }
    const { id: _id, ...rest } = doc
    const entry = { id, doc: rest, path, idPath: child(path, 'id') }
    entries.push(entry)
    visit(entry)
  })
  return entries
}

/** The issues of `subject` under every policy: a name only one policy declares is no issue. */
function commonIssues (policies: readonly CompiledPolicy[], subject: Subject): Issue[] {
  const [first, ...rest] = policies
  if (first === undefined) return []
  const key = (i: Issue): string => `${i.path}\n${i.code}`
  const others = rest.map(p => new Set(checkSubject(p, subject).map(key)))
  return checkSubject(first, subject).filter(issue => others.every(keys => keys.has(key(issue))))
}

function located (file: string, locate: ParsedSource['locate'] | undefined, path: string, code: string, message: string): DiffIssue {
  const issue: DiffIssue = { file, path, code, message }
  // An unknown key is shown at the key; anything else at the value it is about.
  if (locate !== undefined) Object.assign(issue, issuePosition(locate, path, code))
  return issue
}
