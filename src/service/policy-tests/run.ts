/**
 * Running a loaded suite: every case goes through the engine's `decide` exactly as an
 * AuthZEN evaluation does (src/service/decisions.ts): the case's resource as sent, stored
 * or unknown, and its ancestors through `parent` read from the suite's resources the way
 * the service reads them from the store. Pure and synchronous.
 */
import type { ResourceFacts } from '../../engine/index.js'
import { decide } from '../../engine/index.js'
import { MAX_ANCESTOR_DEPTH } from '../../engine/index.js'
import type { CaseResult, LoadedSuite, SuiteCase, SuiteResult } from './types.js'

/** Runs every case of the suite; the results are in the suite's order. */
export function runSuite (suite: LoadedSuite): SuiteResult {
  const cases = suite.cases.map(c => runCase(suite, c))
  const passed = cases.filter(c => c.passed).length
  const result: SuiteResult = { file: suite.file, total: cases.length, passed, failed: cases.length - passed, cases }
  if (suite.name !== undefined) result.name = suite.name
  if (suite.bundleFile !== undefined) result.bundleFile = suite.bundleFile
  return result
}

function runCase (suite: LoadedSuite, c: SuiteCase): CaseResult {
  const resource = c.resource.facts
  const decision = decide(suite.policy, {
    subject: c.subject,
    subjectId: c.subjectRef,
    action: c.action,
    resource,
    ancestors: ancestorsOf(suite, resource),
    ...c.inputs
  })
  const actual: CaseResult['actual'] = { decision: decision.allowed ? 'allow' : 'deny', reason: decision.reason }
  if (decision.fields !== undefined) actual.fields = decision.fields
  const expected: CaseResult['expected'] = { decision: c.expect }
  if (c.reason !== undefined) expected.reason = c.reason
  if (c.fields !== undefined) expected.fields = c.fields

  const mismatches: string[] = []
  if (actual.decision !== c.expect) mismatches.push(`expected \`${c.expect}\`, got \`${actual.decision}\``)
  if (c.reason !== undefined && c.reason !== decision.reason.code) {
    mismatches.push(`expected reason \`${c.reason}\`, got \`${decision.reason.code}\``)
  }
  for (const key of ['visible', 'editable'] as const) {
    const want = c.fields?.[key]
    if (want === undefined) continue
    const got = decision.fields?.[key]
    if (got === undefined) {
      // Only a deny lacks fields here: the loader refuses `fields` on modules without any.
      mismatches.push(`expected ${key} fields ${showList(want)}, got a decision without fields`)
    } else if (!sameSet(want, got)) {
      mismatches.push(`expected ${key} fields ${showList(want)}, got ${showList(got)}`)
    }
  }

  return {
    name: c.name,
    file: suite.file,
    path: c.path,
    ...(c.line === undefined ? {} : { line: c.line, column: c.column }),
    says: c.says,
    subject: c.subjectRef,
    action: c.action,
    resource: { type: resource.module, id: resource.id, label: c.resource.label },
    expected,
    actual,
    passed: mismatches.length === 0,
    mismatches
  }
}

/**
 * The resource's ancestors through `parent` among the suite's resources of its module,
 * nearest first; stops at a missing one, at a cycle and at the service's depth bound.
 */
export function ancestorsOf (suite: LoadedSuite, resource: ResourceFacts): ResourceFacts[] {
  const stored = suite.resources.get(resource.module)
  const ancestors: ResourceFacts[] = []
  const seen = new Set([resource.id])
  let parent = resource.parent
  while (parent !== undefined && !seen.has(parent) && ancestors.length < MAX_ANCESTOR_DEPTH) {
    seen.add(parent)
    const facts = stored?.get(parent)
    if (facts === undefined) break
    ancestors.push(facts)
    parent = facts.parent
  }
  return ancestors
}

function sameSet (a: readonly string[], b: readonly string[]): boolean {
  const set = new Set(b)
  return a.length === set.size && a.every(x => set.has(x))
}

/** A list of names in a message: `[a, b]`, sorted so that reports are stable. */
function showList (names: readonly string[]): string {
  return `\`[${[...names].sort().join(', ')}]\``
}
