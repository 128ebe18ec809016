/**
 * The floor: a hand-written lookup. Each subject points at a table shared by every
 * subject of the same profile (roles, flags, overrides), built once from the folded
 * rules; a check is one array read and, for assigned access, a scan of the resource's
 * relation values against the subject's names.
 */
import type { RelationSet } from '../translate/conditions.js'
import type { FoldedTable } from '../translate/fold.js'
import { questionKey } from '../translate/fold.js'
import type { Translation } from '../translate/translation.js'
import type { BenchResource, Workload } from '../lib/workload.js'
import type { EngineUnderTest } from './engine.js'

interface PlainSubject {
  names: Set<string>
  base: FoldedTable
  projects: Map<string, FoldedTable> | undefined
}

interface PlainResource {
  project: string | undefined
  relations: Record<string, string[]>
}

interface Prepared {
  subject: PlainSubject
  resource: PlainResource
  question: number
}

function allowed (s: PlainSubject, r: PlainResource, question: number): boolean {
  const table = s.projects === undefined || r.project === undefined ? s.base : s.projects.get(r.project) ?? s.base
  const where = table[question] as RelationSet
  if (where === true) return true
  if (where === false) return false
  for (let i = 0; i < where.length; i++) {
    const values = r.relations[where[i] as string]
    if (values === undefined) continue
    for (let j = 0; j < values.length; j++) if (s.names.has(values[j] as string)) return true
  }
  return false
}

export function plainEngine (w: Workload, t: Translation): EngineUnderTest {
  const start = performance.now()
  const subjects = new Map<string, PlainSubject>()
  for (const [id, { facts, folded }] of t.subjects) {
    subjects.set(id, { names: new Set(facts.names), base: folded.base, projects: folded.projects.size === 0 ? undefined : folded.projects })
  }
  const resources = new Map<BenchResource, PlainResource>()
  for (const r of w.resources) resources.set(r, { project: r.project, relations: r.relations })
  const prepared: Prepared[] = w.requests.map(q => {
    const question = t.index.byKey.get(questionKey(q.resource.module, q.question))
    if (question === undefined) throw new Error(`no question \`${q.question}\` on \`${q.resource.module}\``)
    return { subject: subjects.get(q.subject.id) as PlainSubject, resource: resources.get(q.resource) as PlainResource, question }
  })
  return {
    name: 'plain JS',
    description: 'hand-written lookup: per-profile answer table, then the resource\'s relation values against the subject\'s names',
    setupMs: performance.now() - start,
    run (out, count) {
      let yes = 0
      for (let i = 0; i < count; i++) {
        const p = prepared[i] as Prepared
        const a = allowed(p.subject, p.resource, p.question)
        out[i] = a ? 1 : 0
        if (a) yes++
      }
      return yes
    }
  }
}
