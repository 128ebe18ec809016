/**
 * The benchmark workload: the `service-company` template, generated subjects (every
 * profile of the template, project roles, crews, per-user overrides, a few inactive or
 * non-login users and the account owner), stored resources with realistic relations and
 * projects, and a request mix of action checks and field questions. Deterministic: the
 * same options give the same workload.
 */
import { readFileSync } from 'node:fs'
import { parse } from 'yaml'
import { checkSubject, compileBundle } from '../../../src/engine/index.js'
import type { Bundle, CompiledPolicy, ModuleOverride, Overrides, Subject } from '../../../src/engine/index.js'
import { Random } from './random.js'

export const TEMPLATE = 'service-company'
export const BUNDLE_PATH = new URL(`../../../src/templates/${TEMPLATE}/bundle.yaml`, import.meta.url)

/** A stored resource; every relation of its module is present (empty when unset). */
export interface BenchResource {
  module: string
  id: string
  project: string | undefined
  relations: Record<string, string[]>
}

/** A field question: may the subject see (`read`) or change (`edit`) this field of a resource it views. */
export interface FieldQuestion {
  name: string
  edit: boolean
}

export interface BenchRequest {
  subject: Subject
  resource: BenchResource
  /**
   * What is asked: an action of the module, or `read_field:<f>` / `edit_field:<f>`. A
   * field question is answered by gatehouse's `view` decision: allowed, and the field in
   * its `fields.visible` (or `fields.editable`).
   */
  question: string
  /** The action gatehouse decides: the question's action, or `view` for a field question. */
  action: string
  field: FieldQuestion | undefined
  /** The subject (or one of its groups) appears in a relation of the resource. */
  assigned: boolean
  /** The resource is in a project where the subject holds roles. */
  inProject: boolean
}

export interface Workload {
  bundle: Bundle
  policy: CompiledPolicy
  subjects: Subject[]
  resources: BenchResource[]
  requests: BenchRequest[]
  /** Batches of requests, each by one subject (for AuthZEN `evaluations`). */
  batches: BenchRequest[][]
}

export interface WorkloadOptions {
  subjects: number
  requests: number
  /** `count` batches of `size` requests, each batch by one active subject. */
  batches?: { count: number, size: number }
  seed?: number
}

/** The field question ids of a module: `read_field:<f>` and `edit_field:<f>` for each field, in field order. */
export function fieldQuestions (fields: readonly string[]): string[] {
  return fields.flatMap(f => [`read_field:${f}`, `edit_field:${f}`])
}

/** Parses a question id back into a field question, or `undefined` for an action. */
export function parseQuestion (question: string): FieldQuestion | undefined {
  if (question.startsWith('read_field:')) return { name: question.slice('read_field:'.length), edit: false }
  if (question.startsWith('edit_field:')) return { name: question.slice('edit_field:'.length), edit: true }
  return undefined
}

export function loadTemplate (): { bundle: Bundle, policy: CompiledPolicy, text: string } {
  const text = readFileSync(BUNDLE_PATH, 'utf8')
  const compiled = compileBundle(parse(text))
  if (!compiled.ok) throw new Error(`template \`${TEMPLATE}\` does not compile: ${compiled.issues.map(i => `${i.path} ${i.message}`).join('; ')}`)
  return { bundle: compiled.policy.bundle, policy: compiled.policy, text }
}

const PROJECTS = Array.from({ length: 40 }, (_, i) => `site-${i + 1}`)
const GROUPS = Array.from({ length: 60 }, (_, i) => `crew-${i + 1}`)

const PRIMARY_ROLES = {
  employee: 40,
  new_employee: 8,
  manager: 8,
  administrator: 1,
  sales_rep: 6,
  accountant: 3,
  crew_lead: 10,
  dispatcher: 4,
  independent_technician: 6,
  none: 4
} as const

const SECOND_ROLES = ['sales_rep', 'accountant', 'crew_lead', 'dispatcher', 'employee'] as const
const PROJECT_ROLES = { manager: 4, crew_lead: 4, dispatcher: 2, sales_rep: 2, employee: 2, administrator: 0.3 } as const

/** Per-user changes seen in practice: the seed's "advanced options" toggled for one user, actions removed or added, a module's reach changed. */
const FLAG_OVERRIDES: ReadonlyArray<Record<string, boolean>> = [
  { delete_entities: true },
  { create_time_entries: true },
  { create_time_entries: true, delete_entities: true },
  { view_personal_info: true },
  { manage_prices: false },
  { view_costs: true }
]
const MODULE_OVERRIDES: ReadonlyArray<Record<string, ModuleOverride>> = [
  { jobs: { deny: ['delete', 'send'] } },
  { quotes: { deny: ['send'] } },
  { jobs: { deny: ['view'] } },
  { jobs: { allow: ['assign', 'view_time_entries'] } },
  { requests: { allow: ['edit'] } },
  { clients: { access: 'all', level: 'limited' } },
  { jobs: { level: 'management' } },
  { time_entries: { access: 'all' } },
  { invoices: { access: 'assigned', level: 'full' } },
  { visits: { access: 'none' } },
  { quotes: { access: 'all', level: 'limited', allow: ['send'] } }
]

const RESOURCE_COUNTS: Readonly<Record<string, number>> = {
  jobs: 3000,
  requests: 1000,
  quotes: 1000,
  invoices: 1000,
  visits: 2000,
  tasks: 1000,
  time_entries: 1000,
  clients: 300,
  products: 200,
  forms: 50,
  activities: 20,
  users: 100,
  settings: 1
}

const MODULE_WEIGHTS: Readonly<Record<string, number>> = {
  jobs: 25,
  requests: 10,
  quotes: 10,
  invoices: 8,
  visits: 12,
  tasks: 8,
  time_entries: 8,
  clients: 6,
  products: 5,
  forms: 2,
  activities: 2,
  users: 2,
  settings: 2
}

/** Builds the workload; throws when a generated subject is not valid under the template. */
export function buildWorkload (opts: WorkloadOptions): Workload {
  const { bundle, policy } = loadTemplate()
  const random = new Random(opts.seed ?? 20261123)
  const subjects = generateSubjects(random, opts.subjects)
  for (const subject of subjects) {
    const issues = checkSubject(policy, subject)
    if (issues.length > 0) throw new Error(`generated subject \`${subject.id}\` is invalid: ${issues.map(i => `${i.path} ${i.message}`).join('; ')}`)
  }
  const resources = generateResources(random, bundle, subjects)
  const requestBy = requestGenerator(random, bundle, resources)
  const requests = Array.from({ length: opts.requests }, () => requestBy(random.pick(subjects)))
  const active = subjects.filter(s => s.status !== 'inactive' && s.login !== false)
  const batches = Array.from({ length: opts.batches?.count ?? 0 }, () => {
    const subject = random.pick(active)
    return Array.from({ length: opts.batches?.size ?? 0 }, () => requestBy(subject))
  })
  return { bundle, policy, subjects, resources, requests, batches }
}

function generateSubjects (random: Random, count: number): Subject[] {
  const subjects: Subject[] = []
  for (let i = 0; i < count; i++) {
    const id = `u${String(i).padStart(5, '0')}`
    if (i === 0) {
      subjects.push({ id, roles: [], owner: true })
      continue
    }
    const primary = random.weighted(PRIMARY_ROLES)
    const roles: string[] = primary === 'none' ? [] : [primary]
    if (primary !== 'none' && random.chance(0.12)) {
      const second = random.pick(SECOND_ROLES)
      if (!roles.includes(second)) roles.push(second)
    }
    const subject: Subject = { id, roles }
    if (primary === 'none' || random.chance(0.2)) {
      const projects: Record<string, string[]> = {}
      for (const project of random.sample(PROJECTS, random.chance(0.3) ? 2 : 1)) projects[project] = [random.weighted(PROJECT_ROLES)]
      subject.projects = projects
    }
    if (random.chance(0.4)) subject.groups = random.sample(GROUPS, random.chance(0.12) ? 2 : 1)
    if (random.chance(0.02)) subject.status = 'inactive'
    else if (random.chance(0.01)) subject.login = false
    if (random.chance(0.1)) subject.overrides = generateOverrides(random)
    subjects.push(subject)
  }
  return subjects
}

function generateOverrides (random: Random): Overrides {
  const overrides: Overrides = {}
  if (random.chance(0.5)) overrides.flags = { ...random.pick(FLAG_OVERRIDES) }
  if (overrides.flags === undefined || random.chance(0.5)) {
    const modules: Record<string, ModuleOverride> = {}
    for (const entry of random.sample(MODULE_OVERRIDES, random.chance(0.25) ? 2 : 1)) {
      for (const [module, override] of Object.entries(entry)) modules[module] ??= structuredClone(override)
    }
    overrides.modules = modules
  }
  return overrides
}

function generateResources (random: Random, bundle: Bundle, subjects: readonly Subject[]): BenchResource[] {
  const ids = subjects.filter(s => s.owner !== true).map(s => s.id)
  const value = (): string => random.chance(0.15) ? `group:${random.pick(GROUPS)}` : random.pick(ids)
  const values = (min: number, max: number): string[] => [...new Set(Array.from({ length: min + random.int(max - min + 1) }, value))]
  const resources: BenchResource[] = []
  for (const [module, count] of Object.entries(RESOURCE_COUNTS)) {
    const def = bundle.modules[module]
    if (def === undefined) throw new Error(`the template has no module \`${module}\``)
    const relations = def.relations ?? []
    for (let i = 0; i < count; i++) {
      const rels: Record<string, string[]> = {}
      for (const relation of relations) {
        rels[relation] = relation === 'visit_assignee' ? values(0, 3) : relation === 'assignee' && module === 'visits' ? values(1, 3) : values(1, 1)
      }
      const project = relations.length > 0 && random.chance(0.5) ? random.pick(PROJECTS) : undefined
      resources.push({ module, id: `${module.slice(0, 3)}-${i}`, project, relations: rels })
    }
  }
  return resources
}

/** The names a subject answers to in relation values: its id and `group:<g>` for each group. */
export function subjectNames (subject: Subject): string[] {
  return [subject.id, ...(subject.groups ?? []).map(g => `group:${g}`)]
}

/** A function that makes one request by a given subject: 40% on a resource assigned to it, 20% in one of its projects, the rest anywhere. */
function requestGenerator (random: Random, bundle: Bundle, resources: readonly BenchResource[]): (subject: Subject) => BenchRequest {
  const byModule = new Map<string, BenchResource[]>()
  const related = new Map<string, BenchResource[]>()
  const inProject = new Map<string, BenchResource[]>()
  const push = <K>(map: Map<K, BenchResource[]>, key: K, r: BenchResource): void => {
    const list = map.get(key)
    if (list === undefined) map.set(key, [r])
    else list.push(r)
  }
  for (const r of resources) {
    push(byModule, r.module, r)
    for (const v of new Set(Object.values(r.relations).flat())) push(related, `${r.module}\u0000${v}`, r)
    if (r.project !== undefined) push(inProject, `${r.module}\u0000${r.project}`, r)
  }
  return subject => {
    const module = random.weighted(MODULE_WEIGHTS)
    const names = subjectNames(subject)
    const projects = Object.keys(subject.projects ?? {})
    const mine = names.flatMap(n => related.get(`${module}\u0000${n}`) ?? [])
    const ours = projects.flatMap(p => inProject.get(`${module}\u0000${p}`) ?? [])
    const x = random.next()
    const resource = x < 0.4 && mine.length > 0
      ? random.pick(mine)
      : x < 0.6 && ours.length > 0 ? random.pick(ours) : random.pick(byModule.get(module) ?? [])
    const def = bundle.modules[module]
    if (def === undefined) throw new Error(`the template has no module \`${module}\``)
    const fields = Object.keys(def.fields ?? {})
    let question: string
    if (fields.length > 0 && random.chance(0.3)) {
      question = `${random.chance(0.65) ? 'read' : 'edit'}_field:${random.pick(fields)}`
    } else {
      const actions = Object.keys(def.actions)
      const y = random.next()
      question = y < 0.35 && actions.includes('view') ? 'view' : y < 0.55 && actions.includes('edit') ? 'edit' : random.pick(actions)
    }
    const field = parseQuestion(question)
    const nameSet = new Set(names)
    return {
      subject,
      resource,
      question,
      action: field === undefined ? question : 'view',
      field,
      assigned: Object.values(resource.relations).some(vs => vs.some(v => nameSet.has(v))),
      inProject: resource.project !== undefined && projects.includes(resource.project)
    }
  }
}
