/**
 * The policy work that runs on a worker thread (`policy-workers.ts`): compiling a bundle,
 * diffing two policies, loading and running a test suite. Each job is plain data in and
 * plain data out (what a structured clone keeps), pure and synchronous, so that the same
 * function runs on the thread or, when threads cannot start, in place. Failures are
 * values; an exception here is a bug.
 */
import type { Bundle, CompiledPolicy, Issue, ResourceFacts, Subject } from '../engine/index.js'
import { compileBundle } from '../engine/index.js'
import type { PolicyTransfer } from '../engine/compile.js'
import { transferPolicy } from '../engine/compile.js'
import { DiffTooLarge, diffPolicies } from './policy-diff/index.js'
import type { PolicyDiff } from './policy-diff/index.js'
import { loadSuiteValue, runSuite } from './policy-tests/index.js'
import type { LoadedSuite, SuiteIssue, SuiteResult } from './policy-tests/index.js'
import { isRecord } from './json-text.js'

/** A suite that runs on the tenant's stored data: the stored subject of each reference a case makes, and the stored resources read. */
export interface StoredSuiteFacts {
  subjectByRef: Map<string, Subject>
  facts: Map<string, Map<string, ResourceFacts>>
}

export type PolicyJob =
  | { kind: 'compile', bundle: unknown }
  | { kind: 'diff', before: Bundle | undefined, after: unknown, subjects: Subject[], maxProfileModules: number }
  | { kind: 'suite', value: unknown, live: Bundle | undefined, stored: StoredSuiteFacts | undefined }

/** A compiled bundle in `transferPolicy`'s form (mostly JSON texts: cheap to send, read a part at a time), or its issues. */
export type CompileReply = { ok: true, transfer: PolicyTransfer } | { ok: false, issues: Issue[] }
export type DiffReply = { ok: true, diff: PolicyDiff } | { ok: false, issues: Issue[] } | { ok: 'too_large', message: string }
export type SuiteReply = { ok: true, result: SuiteResult } | { ok: false, issues: SuiteIssue[] }
export type PolicyReply = CompileReply | DiffReply | SuiteReply

/** Runs a job on the thread: stored bundles are compiled there (see `trusted`). */
export function runPolicyJob (job: PolicyJob): PolicyReply {
  switch (job.kind) {
    case 'compile': return compileJob(job.bundle)
    case 'diff': return diffJob(trusted(job.before), job.after, job.subjects, job.maxProfileModules)
    case 'suite': return suiteJob(job.value, job.live === undefined ? undefined : trusted(job.live), job.stored)
  }
}

/** A suite's result as a structured clone keeps it: a decision's reason writes its message only when read (a getter). */
function suiteReply (result: SuiteResult): SuiteReply {
  const cases = result.cases.map(c => ({ ...c, actual: { ...c.actual, reason: { code: c.actual.reason.code, message: c.actual.reason.message } } }))
  return { ok: true, result: { ...result, cases } }
}

function compileJob (bundle: unknown): CompileReply {
  const compiled = compileBundle(bundle)
  if (!compiled.ok) return compiled
  return { ok: true, transfer: transferPolicy(compiled.policy) }
}

/** The impact of replacing `before` by the draft `after`, or every issue of the draft. */
export function diffJob (before: CompiledPolicy, after: unknown, subjects: Subject[], maxProfileModules: number): DiffReply {
  const draft = compileBundle(after)
  if (!draft.ok) return draft
  try {
    return { ok: true, diff: diffPolicies(before, draft.policy, { subjects, maxProfileModules }) }
  } catch (err) {
    if (err instanceof DiffTooLarge) return { ok: 'too_large', message: err.message }
    throw err
  }
}

/**
 * Loads the suite against the draft bundle it holds or the `live` policy, puts the
 * stored subjects and resources in place of the placeholders the caller gave the loader
 * (a case that names a role keeps the subject the loader made of it), and runs it.
 */
export function suiteJob (value: unknown, live: CompiledPolicy | undefined, stored: StoredSuiteFacts | undefined): SuiteReply {
  const loaded = loadSuiteValue(value, live === undefined ? { file: 'body' } : { file: 'body', policy: live })
  if (!loaded.ok) return loaded
  if (stored === undefined) return suiteReply(runSuite(loaded.suite))
  const cases = loaded.suite.cases.map(c => {
    const byRole = caseDocument(value, c.path)?.role !== undefined
    const subject = byRole ? c.subject : stored.subjectByRef.get(c.subjectRef) ?? c.subject
    const facts = c.resource.kind === 'stored' ? stored.facts.get(c.resource.facts.module)?.get(c.resource.facts.id) : undefined
    return { ...c, subject, resource: facts === undefined ? c.resource : { ...c.resource, facts } }
  })
  const suite: LoadedSuite = { ...loaded.suite, cases, resources: stored.facts }
  return suiteReply(runSuite(suite))
}

let empty: CompiledPolicy | undefined

/** The policy of a tenant that has none: no module, no role; every decision denies. */
export function emptyPolicy (): CompiledPolicy {
  if (empty !== undefined) return empty
  empty = trusted({ version: 1, modules: {}, roles: {} })
  return empty
}

/** A stored bundle (`undefined`: none) compiled: it compiled when it was written, so a failure is a bug. */
function trusted (bundle: Bundle | undefined): CompiledPolicy {
  if (bundle === undefined) return emptyPolicy()
  const compiled = compileBundle(bundle)
  if (!compiled.ok) throw new Error(`a stored bundle does not compile: ${compiled.issues[0]?.message ?? ''}`)
  return compiled.policy
}

/** The suite's case entry that a case's path (`/cases/<i>...`) points into. */
export function caseDocument (doc: unknown, path: string): Record<string, unknown> | undefined {
  const match = /^\/cases\/(\d+)/.exec(path)
  const cases = isRecord(doc) ? doc.cases : undefined
  if (match?.[1] === undefined || !Array.isArray(cases)) return undefined
  const entry: unknown = cases[Number(match[1])]
  return isRecord(entry) ? entry : undefined
}
