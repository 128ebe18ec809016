/**
 * The inputs of a policy diff, validated: bundle texts (YAML or JSON) and a subjects
 * document, with every problem reported at once as `file`, JSON pointer, code and message,
 * plus line and column when the input was text. Pure: the caller reads the files.
 */
import type { CompiledPolicy, Issue, Subject } from '../../engine/index.js'
import Type from 'typebox'
import { checkSubject, compileBundle, defineFormat, inDocumentOrder } from '../../engine/index.js'
import { issuePosition, parseSource, sortIssues, SUITE_KEYS } from '../policy-tests/index.js'
import type { ParsedSource, ParseResult, SuiteIssue } from '../policy-tests/index.js'
import { child, isRecord } from '../json-text.js'

/** One problem with an input of the diff: the same shape as a suite issue, so that the CLI prints both alike. */
export type DiffIssue = SuiteIssue

/** The codes of subjects-document problems beyond the engine's issue codes. Stable: never rename one. */
export const DIFF_ISSUE_CODES = {
  syntax_error: 'the text is not valid YAML or JSON (duplicate keys included)',
  duplicate_subject: 'two subjects of the document have the same id'
} as const

export type BundleLoadResult = { ok: true, policy: CompiledPolicy } | { ok: false, issues: DiffIssue[] }
export type SubjectsLoadResult = { ok: true, subjects: Subject[] } | { ok: false, issues: DiffIssue[] }

/**
 * The envelope of a subjects document (the shapes `loadSubjectsValue` lists), defined once
 * for format-check (ADR 0007). Each subject in it is the engine's subject document, which
 * `checkSubject` checks whole: here it need only be an object. What a schema cannot say is
 * read by hand below: a map entry's `id` (its key is the id) and ids listed twice.
 */
const listedSubject = (what: string) => ({
  type: 'object',
  required: ['id'],
  properties: { id: { type: 'string', minLength: 1, issue: { code: 'invalid_type', message: 'the `id` of a listed subject must be a non-empty string' } } },
  issue: { what, expected: 'an object' }
})
const subjectList = (what: string) => ({ type: 'array', items: listedSubject(what) })
const IGNORED_SUITE_KEYS: readonly string[] = SUITE_KEYS.filter(key => key !== 'subjects')
const subjectsFormat = defineFormat(Type.Unsafe<unknown>({
  anyOf: [
    subjectList('a subject'),
    {
      type: 'object',
      required: ['subjects'],
      // A policy test suite serves as a subjects document: its other keys are accepted and ignored.
      properties: Object.fromEntries([['subjects', {
        anyOf: [
          subjectList('a subject'),
          { type: 'object', propertyNames: { type: 'string', minLength: 1, issue: { message: 'a subject id must not be empty' } }, additionalProperties: { type: 'object', issue: { what: 'subject `{-1}`' } } }
        ],
        issue: { what: '`subjects`', expected: 'a map of subject id to subject, or a list of subjects' }
      }], ...IGNORED_SUITE_KEYS.map(key => [key, {}])]),
      additionalProperties: false,
      issue: { what: 'the subjects document' }
    }
  ],
  issue: { what: 'a subjects document', expected: 'an object with `subjects` or a list of subjects' }
}))

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
  const structure = subjectsFormat.check(value)
  if (!structure.ok) for (const issue of structure.issues) add(issue.path, issue.code, issue.message)
  for (const { id, doc, path, idPath } of subjectEntries(value, add)) {
    const subject = { roles: [], ...doc, id } as unknown as Subject
    const before = issues.length
    for (const issue of commonIssues(policies, subject)) {
      if (issue.path === '/id') add(idPath, issue.code, `subject \`${id}\`: ${issue.message}`)
      else add(`${path}${issue.path}`, issue.code, `subject \`${id}\`: ${issue.message}`)
    }
    if (issues.length === before) subjects.push(subject)
  }
  if (issues.length > 0) return { ok: false, issues: sortIssues(locate === undefined ? inDocumentOrder(value, issues) : issues) }
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

/**
 * The well-formed subject entries of a document, in document order, read leniently after
 * `subjectsFormat` (what is malformed was reported there); reports a map entry's `id` and
 * an id listed twice.
 */
function subjectEntries (value: unknown, add: AddIssue): SubjectEntry[] {
  const subjects = Array.isArray(value) ? value : isRecord(value) ? value.subjects : undefined
  const at = Array.isArray(value) ? '' : '/subjects'
  if (Array.isArray(subjects)) return listEntries(subjects, at, add)
  if (!isRecord(subjects)) return []
  const entries: SubjectEntry[] = []
  for (const [id, doc] of Object.entries(subjects)) {
    const path = child(at, id)
    if (id === '' || !isRecord(doc)) continue
    if (Object.hasOwn(doc, 'id')) {
      add(child(path, 'id'), 'unknown_property', `subject \`${id}\`: unknown property \`id\`: the entry's key is the subject id`)
      continue
    }
    entries.push({ id, doc, path, idPath: path })
  }
  return entries
}

function listEntries (list: unknown[], at: string, add: AddIssue): SubjectEntry[] {
  const entries: SubjectEntry[] = []
  list.forEach((doc: unknown, index) => {
    const path = child(at, index)
    if (!isRecord(doc) || typeof doc.id !== 'string' || doc.id === '') return
    const id = doc.id
    const first = entries.find(e => e.id === id)
    if (first !== undefined) {
      add(child(path, 'id'), 'duplicate_subject', `subject \`${id}\` is declared twice (at \`${first.path}\` and \`${path}\`)`)
      return
    }
    const { id: _id, ...rest } = doc
    entries.push({ id, doc: rest, path, idPath: child(path, 'id') })
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
