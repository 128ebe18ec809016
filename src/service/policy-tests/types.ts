/**
 * The shapes of policy test suites (docs/policy-tests.md): a suite once loaded and
 * validated, the problems that prevent loading one, and the results of a run. Shared by
 * the CLI (`gatehouse test`) and the HTTP route that runs suites against a tenant.
 */
import type { CompiledPolicy, ConditionInputs, FieldAccess, Reason, ReasonCode, ResourceFacts, Subject } from '../../engine/index.js'
import type { CaseDocument, FieldsDocument } from './schema.js'

/** The suite's documents as written are the `Static<>` types of its one definition (schema.ts). */
export type { CaseDocument, FieldsDocument, ResourceDocument, SuiteDocument } from './schema.js'

/** The codes of suite problems beyond the engine's issue codes. Stable: never rename one. */
export const SUITE_ISSUE_CODES = {
  syntax_error: 'the text is not valid YAML or JSON (duplicate keys included)',
  unreadable_file: 'a file named by the suite cannot be read',
  bundle_path_unsupported: 'the suite names its bundle by path where no files can be read',
  unknown_subject: 'a case names a subject that the suite does not declare',
  unknown_resource: 'a case names a stored resource that the suite does not declare',
  ambiguous_resource: 'a `type/id` reference matches more than one resource of the suite',
  duplicate_resource: 'two resources of the suite have the same module and id',
  duplicate_alias: 'an alias already names another subject of the suite',
  unknown_parent: 'a `parent` names no resource of the same module in the suite',
  conflicting_expectation: 'a case expects something no decision can give (an allow reason on a deny, fields on a deny)',
  unknown_reason: 'a reason is not a decision reason code',
  no_cases: 'the suite has no cases'
} as const

export type SuiteIssueCode = keyof typeof SUITE_ISSUE_CODES

/** One problem that prevents loading a suite. */
export interface SuiteIssue {
  /** The file the problem is in: the suite's, or the bundle file it names. */
  file: string
  /** 1-based; absent when the suite was given as a parsed value rather than text. */
  line?: number
  column?: number
  /** JSON pointer (RFC 6901) into that file's document; `''` is the whole document. */
  path: string
  /** A `SuiteIssueCode`, an engine issue code, or a YAML syntax error code. */
  code: string
  /** One lowercase line without final period, user input in backticks. */
  message: string
}

/** Reads the bundle file that a suite names by path (relative to the suite's file). */
export type ReadBundle = (path: string) => { ok: true, file: string, text: string } | { ok: false, message: string }

export interface LoadOptions {
  /** How messages name the suite: its path for the CLI, `body` for an HTTP request. */
  file: string
  /** Resolves `bundle: <path>`; without it, a bundle path is a `bundle_path_unsupported` issue. */
  readBundle?: ReadBundle
  /**
   * Run against this policy instead of the suite's own `bundle` (a tenant's live policy,
   * a draft): `bundle` is then optional and not read.
   */
  policy?: CompiledPolicy
}

/** What a case expects of a decision (`expect`, or the list an action of a table row is in). */
export type Expectation = NonNullable<CaseDocument['expect']>

/** A resource as a case uses it: a stored one of the suite, one sent with properties, or an id nothing stores. */
export interface CaseResource {
  kind: 'stored' | 'inline' | 'unstored'
  facts: ResourceFacts
  /** `type/id`, as reports name it. */
  label: string
}

/** One case after table rows and subject lists are expanded: one subject, one action. */
export interface SuiteCase {
  name: string
  /** The case's place in the suite file; `line` and `column` absent for a parsed value. */
  path: string
  line?: number
  column?: number
  /** The seed sentences this case proves, quoted. */
  says: string[]
  /** The subject reference as written (an id, an alias, or `role:<name>` for a `role` case). */
  subjectRef: string
  subject: Subject
  action: string
  resource: CaseResource
  expect: Expectation
  reason?: ReasonCode
  fields?: FieldsDocument
  /** `action_properties`, `context` and `subject_properties` of the case, for conditions. */
  inputs?: ConditionInputs
}

/** A validated suite, ready to run. */
export interface LoadedSuite {
  file: string
  name?: string
  /** The file the bundle came from when the suite names it by path. */
  bundleFile?: string
  policy: CompiledPolicy
  /** The suite's stored resources, by module then id. */
  resources: ReadonlyMap<string, ReadonlyMap<string, ResourceFacts>>
  cases: SuiteCase[]
}

export type LoadResult = { ok: true, suite: LoadedSuite } | { ok: false, issues: SuiteIssue[] }

/** What one case expected and what the decision said. */
export interface CaseResult {
  name: string
  file: string
  path: string
  line?: number
  column?: number
  says: string[]
  subject: string
  action: string
  resource: { type: string, id: string, label: string }
  expected: { decision: Expectation, reason?: ReasonCode, fields?: FieldsDocument }
  actual: { decision: Expectation, reason: Reason, fields?: FieldAccess }
  passed: boolean
  /** Why the case failed, one line each; empty when it passed. */
  mismatches: string[]
}

export interface SuiteResult {
  file: string
  name?: string
  bundleFile?: string
  total: number
  passed: number
  failed: number
  cases: CaseResult[]
}
