/**
 * The policy tools that write nothing: test suites run against a tenant (live or draft
 * policy), impact reports of a draft bundle, and the shipped templates.
 */
import { bundleLimitIssues } from '../engine/bundle-limits.js'
import type { FieldAccess, ResourceFacts, Subject } from '../engine/model.js'
import type { Issue, Reason } from '../engine/index.js'
import { issueDetails, requirePolicy } from './admin.js'
import { ServiceError, problemsMessage, validationFailed } from './errors.js'
import type { ErrorDetail } from './errors.js'
import type { ResourceCache } from './resource-cache.js'
import type { TenantState, TenantStates } from './tenant-state.js'
import { findSubject } from './tenant-state.js'
import { refuseOversizedBundle, yamlFailure } from './bundle-text.js'
import { MAX_ANCESTOR_DEPTH } from '../engine/index.js'
import { loadBundleSource, locateBundleIssues } from './policy-diff/index.js'
import type { DiffIssue, PolicyDiff } from './policy-diff/index.js'
import { issuePosition, parseSource } from './policy-tests/index.js'
import type { CaseResult, Expectation, ParsedSource, ParseResult, SuiteIssue } from './policy-tests/index.js'
import { parseSourceOffLoop } from './yaml-parse.js'
import { shippedTemplates, templateList } from './templates.js'
import { isRecord } from './json-text.js'

/**
 * Cases one suite sent to the API may hold: a suite is loaded and run on the event loop
 * that answers every tenant's decisions, and 4,000 cases cost it a few hundred
 * milliseconds. The largest shipped suite has 143. The CLI runs suites of any size.
 */
export const MAX_SUITE_CASES = 1000

/**
 * Modules a diff may compare over the stored subjects' distinct profiles (their roles,
 * projects and overrides; subjects of one profile are compared once): the diff runs on
 * the event loop, and 50 profiles over 3,000 modules held it for 12 s of CPU. 100 modules
 * for each of 100 distinct profiles are within it.
 */
export const MAX_DIFF_PROFILE_MODULES = 10_000

interface PolicyToolsDeps {
  states: TenantStates
  resources: ResourceCache
}

export class PolicyToolsService {
  readonly #states: TenantStates
  readonly #resources: ResourceCache

  constructor (deps: PolicyToolsDeps) {
    this.#states = deps.states
    this.#resources = deps.resources
  }

  /**
   * Runs a policy test suite (docs/policy-tests.md) against the tenant; writes nothing.
   * The policy is the suite's own inline `bundle` (a draft) when it has one, else the
   * tenant's live policy (ServiceError `no_policy` when there is none); a bundle named by
   * path is a problem, since no files are read here. A suite that declares neither
   * `subjects` nor `resources` runs on the tenant's stored subjects and resources, which
   * its cases name as an AuthZEN request does (subject id or alias, `type/id`); a suite
   * that declares either is self-contained. A suite that cannot be loaded is refused with
   * every problem: ServiceError `invalid_yaml` for a syntax error, else
   * `validation_failed`, each detail with its JSON pointer, and its line and column when
   * the suite was sent as text.
   */
  async runPolicyTests (tenantId: string, input: SuiteInput): Promise<PolicyTestReport> {
    let value: unknown
    let locate: ParsedSource['locate'] | undefined
    if ('text' in input) {
      const parsed = await parseSourceOffLoop(input.text)
      if (!parsed.ok) throw yamlFailure(parsed.problems)
      value = parsed.source.value
      locate = parsed.source.locate
    } else {
      value = input.value
    }
    const state = await this.#states.get(tenantId)
    // Read before any await: the report and the revision it names must match.
    const revision = state.revision
    if (value === undefined) throw validationFailed('body is required', [{ in: 'body', path: '', message: 'is required', code: 'required' }])
    if (isRecord(value) && Array.isArray(value.cases) && value.cases.length > MAX_SUITE_CASES) {
      throw validationFailed(`the suite has ${value.cases.length} cases, more than the ${MAX_SUITE_CASES} a request may run: split it`, [
        { in: 'body', path: '/cases', message: `must have at most ${MAX_SUITE_CASES} cases`, code: 'too_many_cases' }
      ])
    }

    const doc = isRecord(value) ? value : undefined
    if (isRecord(doc?.bundle)) {
      const over = bundleLimitIssues(doc.bundle)
      const details: ErrorDetail[] = over.map(i => ({ in: 'body', path: `/bundle${i.path}`, message: i.message, code: i.code }))
      if (details.length > 0) throw validationFailed(problemsMessage('the suite\'s bundle', details), details)
    }
    const draft = doc?.bundle !== undefined
    // Not an object: the loader names the problem whatever the policy.
    const live = draft || doc === undefined ? undefined : requirePolicy(state)
    const stored = doc !== undefined && doc.subjects === undefined && doc.resources === undefined
      ? await storedSuiteData(state, doc, this.#resources)
      : undefined
    const suiteValue = stored === undefined ? value : { ...doc, subjects: stored.subjects, resources: stored.resources }
    const reply = await this.#states.workers.suite(suiteValue, live, stored === undefined ? undefined : { subjectByRef: stored.subjectByRef, facts: stored.facts })
    if (!reply.ok) throw suiteFailure(reply.issues, stored, locate)
    const result = reply.result
    const report: PolicyTestReport = {
      revision,
      policy: draft ? 'draft' : 'live',
      data: stored === undefined ? 'suite' : 'stored',
      total: result.total,
      passed: result.passed,
      failed: result.failed,
      cases: result.cases.map(c => caseReport(locate === undefined ? c : { ...c, ...locate(c.path) }))
    }
    if (result.name !== undefined) report.name = result.name
    return report
  }

  /**
   * The impact of replacing the tenant's policy by `draft` (docs/policy-diff.md), with
   * what each stored subject gains or loses; writes nothing. A tenant without a policy
   * is compared as if it had an empty one (everything is gained). The draft is a YAML
   * (or JSON) bundle text, or a JSON body `{ bundle }`; an invalid one is refused with
   * every issue (ServiceError `policy_invalid`, `invalid_yaml` for a syntax error).
   */
  async diffPolicy (tenantId: string, draft: DraftInput): Promise<{ diff: PolicyDiff, revision: number, hasPolicy: boolean }> {
    // Parsed before the state is read: the diff and the revision it names must match.
    const parsed = 'text' in draft ? await parseSourceOffLoop(draft.text) : undefined
    const state = await this.#states.get(tenantId)
    const { revision, policy } = state
    const subjects = [...state.subjectsById.values()]
    const after = parsed === undefined ? draftBundle(draft) : draftBundleFromText(parsed)
    const reply = await this.#states.workers.diff(policy, after.value, subjects, MAX_DIFF_PROFILE_MODULES)
    if (reply.ok === true) return { diff: reply.diff, revision, hasPolicy: policy !== undefined }
    if (reply.ok === false) throw after.failure(reply.issues)
    throw validationFailed(`${reply.message}: the tenant's subjects are too varied for a diff over this many modules`, [
      { in: 'body', path: '', message: `the diff would compare more than ${MAX_DIFF_PROFILE_MODULES} modules over the stored subjects' distinct profiles`, code: 'diff_too_large' }
    ])
  }

  /** The templates shipped with gatehouse, by name, with the roles and modules of each (parsed once: `shippedTemplates`). */
  listTemplates (): TemplateSummary[] {
    return [...shippedTemplates().values()].map(({ name, description, roles, modules }) => ({ name, description, roles, modules }))
  }

  /**
   * A shipped template: its bundle text exactly as shipped (comments included), its
   * parsed bundle (frozen) and that bundle as JSON text. Throws ServiceError `not_found`
   * when no template has that name.
   */
  getTemplate (name: string): TemplateSummary & { text: string, bundle: unknown, json: string } {
    const template = shippedTemplates().get(name)
    if (template === undefined) throw new ServiceError('not_found', `no template \`${name}\`: expected one of ${templateList()}`)
    const { description, roles, modules, text, bundle, json } = template
    return { name, description, roles, modules, text, bundle, json }
  }
}

// --- policy test runs --------------------------------------------------------------

/** A suite as received: text (YAML or JSON, so that problems have lines) or a parsed JSON value. */
export type SuiteInput = { text: string } | { value: unknown }

/** One case of a test run as the API reports it. */
export interface PolicyTestCase {
  name: string
  /** JSON pointer to the case (or the action of a table row) in the suite. */
  path: string
  /** Where the case is written, when the suite was sent as text. */
  line?: number
  column?: number
  /** The sentences of the specification the case proves. */
  says?: string[]
  /** The subject as the case names it (an id, an alias, or `role:<name>`). */
  subject: string
  action: string
  resource: { type: string, id: string }
  expected: CaseResult['expected']
  actual: { decision: Expectation, reason: Reason }
  /** The fields of an allowed decision on a module with fields. */
  fields?: FieldAccess
  ok: boolean
  /** Why the case failed, one line each; empty when it passed. */
  mismatches: string[]
}

export interface PolicyTestReport {
  name?: string
  /** The tenant revision the suite ran at. */
  revision: number
  /** `live`: the tenant's policy; `draft`: the suite's own inline bundle. */
  policy: 'live' | 'draft'
  /** `suite`: the suite's own subjects and resources; `stored`: the tenant's. */
  data: 'suite' | 'stored'
  total: number
  passed: number
  failed: number
  cases: PolicyTestCase[]
}

/**
 * A suite that runs on the tenant's stored data: placeholder `subjects` and `resources`
 * for the loader (so that it accepts the cases' references), and the stored subjects and
 * resources that replace them once loaded.
 */
interface StoredSuiteData {
  subjects: Record<string, Record<string, never>>
  resources: Array<{ type: string, id: string }>
  /** The stored subject of each reference (id or alias) a case makes. */
  subjectByRef: Map<string, Subject>
  /** Every stored resource read: those the cases name and their ancestors, by module then id. */
  facts: Map<string, Map<string, ResourceFacts>>
  /** Where a problem with a placeholder is reported: the first case naming it. */
  subjectPlaces: Map<string, string>
  resourcePlaces: string[]
  /** For references the tenant cannot resolve, by path: the message replacing the loader's. */
  unresolved: Map<string, string>
}

/**
 * Resolves the subjects and resources the cases name against the tenant's data, as
 * `POST /access/v1/evaluation` resolves them: a subject by id or alias, a resource by
 * module and id (without properties), and the ancestors of both stored and inline
 * resources through `parent`.
 */
async function storedSuiteData (state: TenantState, doc: Record<string, unknown>, cache: ResourceCache): Promise<StoredSuiteData> {
  const data: StoredSuiteData = {
    subjects: {},
    resources: [],
    subjectByRef: new Map(),
    facts: new Map(),
    subjectPlaces: new Map(),
    resourcePlaces: [],
    unresolved: new Map()
  }
  const subjectRefs: Array<{ ref: string, path: string }> = []
  const resourceRefs: Array<{ candidates: Array<{ type: string, id: string }>, path: string, unresolved: string }> = []
  const cases: unknown[] = Array.isArray(doc.cases) ? doc.cases : []
  cases.forEach((entry, i) => {
    if (!isRecord(entry)) return
    const at = `/cases/${i}`
    if (typeof entry.subject === 'string') subjectRefs.push({ ref: entry.subject, path: `${at}/subject` })
    if (Array.isArray(entry.subject)) {
      entry.subject.forEach((ref: unknown, j) => { if (typeof ref === 'string') subjectRefs.push({ ref, path: `${at}/subject/${j}` }) })
    }
    const resource = entry.resource
    if (typeof resource === 'string') {
      resourceRefs.push({
        candidates: labelCandidates(resource),
        path: `${at}/resource`,
        unresolved: `unknown resource \`${resource}\`: the tenant stores no such resource (write \`{ type, id }\` for a resource that is not stored)`
      })
    } else if (isRecord(resource) && typeof resource.type === 'string') {
      if (resource.properties === undefined && typeof resource.id === 'string') {
        // Not stored: the loader evaluates it without properties, as AuthZEN does.
        resourceRefs.push({ candidates: [{ type: resource.type, id: resource.id }], path: `${at}/resource`, unresolved: '' })
      } else if (isRecord(resource.properties) && typeof resource.properties.parent === 'string') {
        const parent = resource.properties.parent
        resourceRefs.push({
          candidates: [{ type: resource.type, id: parent }],
          path: `${at}/resource/properties/parent`,
          unresolved: `parent \`${parent}\` is not a stored resource of module \`${resource.type}\``
        })
      }
    }
  })

  const subjects: Array<[string, Record<string, never>]> = []
  for (const { ref, path } of subjectRefs) {
    const subject = findSubject(state, ref)
    if (subject === undefined) {
      data.unresolved.set(path, `unknown subject \`${ref}\`: the tenant has no subject with this id or alias`)
    } else if (!data.subjectByRef.has(ref)) {
      data.subjectByRef.set(ref, subject)
      data.subjectPlaces.set(ref, path)
      subjects.push([ref, {}])
    }
  }
  // fromEntries: a reference such as `__proto__` stays an own key.
  data.subjects = Object.fromEntries(subjects)

  const declared = new Set<string>()
  for (const { candidates, path, unresolved } of resourceRefs) {
    let found = false
    for (const { type, id } of candidates) {
      const facts = await cache.get(state.tenantId, type, id)
      if (facts === undefined) continue
      found = true
      const key = `${type}\u0000${id}`
      if (declared.has(key)) continue
      declared.add(key)
      data.resources.push({ type, id })
      data.resourcePlaces.push(path)
      await addWithAncestors(data.facts, facts, state.tenantId, cache)
    }
    if (!found && unresolved !== '') data.unresolved.set(path, unresolved)
  }
  return data
}

/** The (module, id) pairs a `type/id` label can mean: module names may contain `/`. */
function labelCandidates (label: string): Array<{ type: string, id: string }> {
  const candidates: Array<{ type: string, id: string }> = []
  for (let i = label.indexOf('/'); i >= 0; i = label.indexOf('/', i + 1)) {
    const type = label.slice(0, i)
    const id = label.slice(i + 1)
    if (type !== '' && id !== '') candidates.push({ type, id })
  }
  return candidates
}

/** Adds a stored resource and its stored ancestors through `parent` (nearest first, as decisions read them). */
async function addWithAncestors (facts: Map<string, Map<string, ResourceFacts>>, resource: ResourceFacts, tenantId: string, cache: ResourceCache): Promise<void> {
  let byId = facts.get(resource.module)
  if (byId === undefined) facts.set(resource.module, byId = new Map())
  byId.set(resource.id, resource)
  let parent = resource.parent
  for (let depth = 0; parent !== undefined && !byId.has(parent) && depth < MAX_ANCESTOR_DEPTH; depth++) {
    const ancestor = await cache.get(tenantId, resource.module, parent)
    if (ancestor === undefined) break
    byId.set(parent, ancestor)
    parent = ancestor.parent
  }
}

/**
 * Every problem of a suite that cannot be loaded, as one `validation_failed`. Problems
 * with the placeholders of stored data are reported at the case naming the subject or
 * resource; positions are added when the suite was text.
 */
function suiteFailure (issues: readonly SuiteIssue[], stored: StoredSuiteData | undefined, locate: ParsedSource['locate'] | undefined): ServiceError {
  const details: ErrorDetail[] = issues.map(issue => {
    let { path, message } = issue
    if (stored !== undefined) {
      const replaced = stored.unresolved.get(path)
      const [, part, token] = /^\/(subjects|resources)\/([^/]*)/.exec(path) ?? []
      if (replaced !== undefined && ['unknown_subject', 'unknown_resource', 'unknown_parent'].includes(issue.code)) {
        message = replaced
      } else if (part === 'subjects' && token !== undefined) {
        const ref = token.replaceAll('~1', '/').replaceAll('~0', '~')
        path = stored.subjectPlaces.get(ref) ?? path
        message = `stored subject \`${ref}\`: ${message}`
      } else if (part === 'resources' && token !== undefined) {
        path = stored.resourcePlaces[Number(token)] ?? path
        message = `stored ${message}`
      }
    }
    const detail: ErrorDetail = { in: 'body', path, message, code: issue.code }
    if (locate !== undefined) {
      const { line, column } = issuePosition(locate, path, issue.code)
      detail.line = line
      detail.col = column
    }
    return detail
  })
  if (locate !== undefined) details.sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.col ?? 0) - (b.col ?? 0))
  return validationFailed(problemsMessage('the suite', details), details)
}

function caseReport (c: CaseResult): PolicyTestCase {
  const report: PolicyTestCase = {
    name: c.name,
    path: c.path,
    ...(c.line === undefined ? {} : { line: c.line, column: c.column }),
    subject: c.subject,
    action: c.action,
    resource: { type: c.resource.type, id: c.resource.id },
    expected: c.expected,
    actual: { decision: c.actual.decision, reason: c.actual.reason },
    ok: c.passed,
    mismatches: c.mismatches
  }
  if (c.says.length > 0) report.says = c.says
  if (c.actual.fields !== undefined) report.fields = c.actual.fields
  return report
}

// --- policy diffs --------------------------------------------------------------------

/** A draft bundle as received: a YAML or JSON text, or a parsed JSON body `{ bundle }`. */
export type DraftInput = { text: string } | { value: unknown }

/** A draft bundle, not yet compiled, and how its issues are reported. */
interface Draft {
  value: unknown
  failure: (issues: readonly Issue[]) => ServiceError
}

/** The draft of a JSON body `{ bundle }` (paths into the body: `/bundle/...`), its shape and size checked. */
function draftBundle (draft: DraftInput): Draft {
  if ('text' in draft) return draftBundleFromText(parseSource(draft.text))
  const body = draft.value
  if (body === undefined) throw validationFailed('body is required', [{ in: 'body', path: '', message: 'is required', code: 'required' }])
  if (!isRecord(body)) {
    throw validationFailed('body must be an object `{ bundle }` (or send the bundle as yaml)', [{ in: 'body', path: '', message: 'must be object', code: 'type' }])
  }
  const unknown = Object.keys(body).filter(key => key !== 'bundle')
  if (unknown.length > 0 || body.bundle === undefined) {
    const details: ErrorDetail[] = unknown.map(key => ({ in: 'body', path: `/${key.replaceAll('~', '~0').replaceAll('/', '~1')}`, message: 'is not a known property', code: 'additionalProperties' }))
    if (body.bundle === undefined) details.push({ in: 'body', path: '/bundle', message: 'is required', code: 'required' })
    const first = details[0]
    throw validationFailed(`body \`${first?.path ?? ''}\` ${first?.message ?? ''}`, details)
  }
  refuseOversizedBundle(body.bundle, '/bundle', 'the draft bundle')
  return {
    value: body.bundle,
    failure: issues => {
      const details = issueDetails([...issues], '/bundle')
      return new ServiceError('policy_invalid', problemsMessage('the draft bundle', details), details)
    }
  }
}

/** The draft sent as text, its syntax and size checked; its issues are reported with their line and column. */
function draftBundleFromText (parsed: ParseResult): Draft {
  if (!parsed.ok) {
    const loaded = loadBundleSource(parsed, 'body')
    throw bundleFailure(loaded.ok ? [] : loaded.issues)
  }
  const { value, locate } = parsed.source
  refuseOversizedBundle(value, '', 'the draft bundle')
  return { value, failure: issues => bundleFailure(locateBundleIssues(issues, locate, 'body')) }
}

/** The problems of a draft bundle text: its syntax errors, else every issue, each with its line and column. */
function bundleFailure (issues: readonly DiffIssue[]): ServiceError {
  const details: ErrorDetail[] = issues.map(i => ({
    in: 'body', path: i.path, message: i.message, code: i.code, ...(i.line === undefined ? {} : { line: i.line, col: i.column ?? 1 })
  }))
  const first = details[0]
  const where = first?.line === undefined ? '' : ` at line ${first.line}, column ${first.col ?? 1}`
  if (issues.some(i => i.code === 'syntax_error')) {
    return new ServiceError('invalid_yaml', `invalid yaml${where}: ${(first?.message ?? '').replace(/^invalid yaml: /, '')}`, details)
  }
  return new ServiceError('policy_invalid', problemsMessage('the draft bundle', details), details)
}

// --- templates -----------------------------------------------------------------------

/** A shipped template as listed. */
export interface TemplateSummary {
  name: string
  description: string
  /** The roles of its bundle, in the bundle's order. */
  roles: string[]
  /** The modules of its bundle, in the bundle's order. */
  modules: string[]
}

/** The names of the shipped templates, as messages list them. */
