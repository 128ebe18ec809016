/**
 * gatehouse itself: `decide` on the compiled template, with subjects and resources as
 * the service holds them in memory (each stored subject compiled once for the policy,
 * as the service's subject cache keeps it; `ResourceFacts` of stored resources).
 * A field question is answered from the `view` decision's `fields`.
 */
import { compileSubject, decide } from '../../../src/engine/index.js'
import type { CompiledSubject, DecisionRequest, ResourceFacts, Subject } from '../../../src/engine/index.js'
import type { BenchResource, Workload } from '../lib/workload.js'
import type { EngineUnderTest } from './engine.js'

interface Prepared {
  request: DecisionRequest
  field: string | undefined
  edit: boolean
}

/** The resource as the store gives it back: only the relations that have values, `project` only when set. */
export function resourceFacts (r: BenchResource): ResourceFacts {
  const relations: Record<string, string[]> = {}
  for (const [rel, values] of Object.entries(r.relations)) if (values.length > 0) relations[rel] = [...values]
  const facts: ResourceFacts = { module: r.module, id: r.id, relations }
  if (r.project !== undefined) facts.project = r.project
  return facts
}

export function gatehouseEngine (w: Workload): EngineUnderTest {
  const start = performance.now()
  const policy = w.policy
  const facts = new Map<BenchResource, ResourceFacts>()
  for (const r of w.resources) facts.set(r, resourceFacts(r))
  const compiled = new Map<Subject, CompiledSubject>()
  for (const s of w.subjects) compiled.set(s, compileSubject(policy, s))
  const prepared: Prepared[] = w.requests.map(q => ({
    request: { subject: compiled.get(q.subject) as CompiledSubject, action: q.action, resource: facts.get(q.resource) as ResourceFacts, ancestors: [] },
    field: q.field?.name,
    edit: q.field?.edit === true
  }))
  return {
    name: 'gatehouse',
    description: '`decide(policy, request)` on the compiled template with compiled subjects: decision, reason (built when read) and fields',
    setupMs: performance.now() - start,
    run (out, count) {
      let allowed = 0
      for (let i = 0; i < count; i++) {
        const p = prepared[i] as Prepared
        const d = decide(policy, p.request)
        let yes = d.allowed
        if (yes && p.field !== undefined) {
          const fields = d.fields
          yes = fields !== undefined && (p.edit ? fields.editable : fields.visible).includes(p.field)
        }
        out[i] = yes ? 1 : 0
        if (yes) allowed++
      }
      return allowed
    }
  }
}
