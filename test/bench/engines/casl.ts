/**
 * CASL (`@casl/ability`, MongoDB-style conditions), one ability built per subject and
 * cached, as CASL's documentation recommends. Each subject's ability holds its folded
 * rules: actions with the same reach share a rule, field questions use CASL's own field
 * rules (`read_field` / `edit_field` with `fields`), and project roles are rules with a
 * `project` condition. A check is `ability.can(question, resource)` or
 * `ability.can('read_field', resource, field)`.
 */
import { createMongoAbility, subject as asSubject } from '@casl/ability'
import type { MongoAbility, MongoQuery, RawRuleFrom, SubjectRawRule } from '@casl/ability'
import type { RelationSet } from '../translate/conditions.js'
import type { FoldedTable } from '../translate/fold.js'
import type { Translation } from '../translate/translation.js'
import type { BenchResource, Workload } from '../lib/workload.js'
import type { EngineUnderTest } from './engine.js'

type Ability = MongoAbility<[string, string | Record<string, unknown>]>
type CaslRule = SubjectRawRule<string, string, MongoQuery>

interface Prepared {
  ability: Ability
  resource: Record<string, unknown>
  action: string
  field: string | undefined
}

/**
 * The conditions of the rules granting `where`: one rule per relation (CASL ORs its
 * rules; its default MongoDB matcher has no `$or`), `undefined` for an unconditional rule.
 */
function conditions (base: MongoQuery, where: RelationSet, names: string[]): Array<MongoQuery | undefined> {
  if (where === false) throw new Error('no rule for a denied question')
  if (where === true) return [Object.keys(base).length === 0 ? undefined : base]
  return where.map(rel => ({ ...base, [rel]: { $in: names } }))
}

function rulesOf (t: Translation, table: FoldedTable, base: MongoQuery, names: string[]): CaslRule[] {
  const rules: CaslRule[] = []
  const grouped = new Map<string, { subject: string, action: string, where: RelationSet, questions: string[], fields: boolean }>()
  for (const q of t.index.questions) {
    const where = table[q.index] as RelationSet
    if (where === false) continue
    const field = q.question.startsWith('read_field:') || q.question.startsWith('edit_field:')
    const action = field ? q.question.slice(0, q.question.indexOf(':')) : q.question
    const key = `${q.module}\u0000${field ? action : ''}\u0000${JSON.stringify(where)}`
    const group = grouped.get(key)
    const name = field ? q.question.slice(q.question.indexOf(':') + 1) : q.question
    if (group === undefined) grouped.set(key, { subject: q.module, action, where, questions: [name], fields: field })
    else group.questions.push(name)
  }
  for (const g of grouped.values()) {
    for (const cond of conditions(base, g.where, names)) {
      const rule: CaslRule = g.fields
        ? { action: g.action, subject: g.subject, fields: g.questions }
        : { action: g.questions, subject: g.subject }
      if (cond !== undefined) rule.conditions = cond
      rules.push(rule)
    }
  }
  return rules
}

export function caslEngine (w: Workload, t: Translation): EngineUnderTest {
  const start = performance.now()
  const abilities = new Map<string, Ability>()
  let ruleCount = 0
  for (const [id, { facts, folded }] of t.subjects) {
    const projects = [...folded.projects.keys()]
    const rules = rulesOf(t, folded.base, projects.length === 0 ? {} : { project: { $nin: projects } }, facts.names)
    for (const [project, table] of folded.projects) rules.push(...rulesOf(t, table, { project }, facts.names))
    ruleCount += rules.length
    abilities.set(id, createMongoAbility<Ability>(rules as Array<RawRuleFrom<[string, string], MongoQuery>>))
  }
  const resources = new Map<BenchResource, Record<string, unknown>>()
  for (const r of w.resources) resources.set(r, asSubject(r.module, { id: r.id, project: r.project ?? '', ...r.relations } as Record<string, unknown>))
  const prepared: Prepared[] = w.requests.map(q => ({
    ability: abilities.get(q.subject.id) as Ability,
    resource: resources.get(q.resource) as Record<string, unknown>,
    action: q.field === undefined ? q.question : q.field.edit ? 'edit_field' : 'read_field',
    field: q.field?.name
  }))
  const setupMs = performance.now() - start
  return {
    name: 'CASL cached',
    description: `@casl/ability: one ability per subject, built once (${w.subjects.length} abilities, ${(ruleCount / w.subjects.length).toFixed(1)} rules each on average), \`ability.can(...)\``,
    setupMs,
    run (out, count) {
      let yes = 0
      for (let i = 0; i < count; i++) {
        const p = prepared[i] as Prepared
        const a = p.field === undefined ? p.ability.can(p.action, p.resource) : p.ability.can(p.action, p.resource, p.field)
        out[i] = a ? 1 : 0
        if (a) yes++
      }
      return yes
    }
  }
}
