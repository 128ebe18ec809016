/**
 * A seeded generator of random tenants for the search equivalence tests: a policy
 * (modules with relations, typed attributes and actions at random levels and flags,
 * roles with random grants, conditions on actions, grants, overrides and ACL entries),
 * subjects (roles, project roles, groups, aliases, overrides, attributes, status, owner,
 * login) and stored resources (relations, attributes, projects, parents forming trees,
 * chains deeper than MAX_ANCESTOR_DEPTH and cycles, ACLs), plus random changes to those
 * resources, and the request inputs conditions read (action properties, context, the
 * request's subject attributes).
 * The same seed gives the same tenant, so a failure replays with GATEHOUSE_SEED.
 */
import type { AclEntry, Access, AttributeDef, AttributeValue, Bundle, ConditionInputs, Grant, Level, ModuleDef, ModuleOverride, ResourceFacts, RoleDef, Subject } from '../../src/engine/index.js'
import { LEVELS, MAX_ANCESTOR_DEPTH } from '../../src/engine/index.js'

/** sfc32: small, fast, and good enough for test data; seeded from one 32-bit integer. */
export class Rng {
  #a: number
  #b: number
  #c: number
  #d: number

  constructor (seed: number) {
    this.#a = 0x9e3779b9
    this.#b = 0x243f6a88
    this.#c = 0xb7e15162
    this.#d = seed >>> 0
    for (let i = 0; i < 16; i++) this.next()
  }

  /** A float in [0, 1). */
  next (): number {
    this.#a >>>= 0; this.#b >>>= 0; this.#c >>>= 0; this.#d >>>= 0
    let t = (this.#a + this.#b) | 0
    this.#a = this.#b ^ (this.#b >>> 9)
    this.#b = (this.#c + (this.#c << 3)) | 0
    this.#c = (this.#c << 21) | (this.#c >>> 11)
    this.#d = (this.#d + 1) | 0
    t = (t + this.#d) | 0
    this.#c = (this.#c + t) | 0
    return (t >>> 0) / 4294967296
  }

  /** An integer in [0, n). */
  int (n: number): number {
    return Math.floor(this.next() * n)
  }

  /** An integer in [min, max]. */
  range (min: number, max: number): number {
    return min + this.int(max - min + 1)
  }

  chance (p: number): boolean {
    return this.next() < p
  }

  pick<T> (items: readonly T[]): T {
    if (items.length === 0) throw new Error('pick from an empty list')
    return items[this.int(items.length)] as T
  }

  /** Each item kept with probability `p`, order kept. */
  subset<T> (items: readonly T[], p: number): T[] {
    return items.filter(() => this.chance(p))
  }

  shuffle<T> (items: readonly T[]): T[] {
    const out = [...items]
    for (let i = out.length - 1; i > 0; i--) {
      const j = this.int(i + 1)
      const a = out[i] as T
      out[i] = out[j] as T
      out[j] = a
    }
    return out
  }
}

/** How a relation is stored in the caller-like table of the SQL leg. */
export type CallerRelationKind = 'column' | 'array' | 'join'

export interface GeneratedModule {
  name: string
  relations: string[]
  /** Per relation, where the caller-like table keeps it; a `column` relation has at most one value. */
  callerKinds: Record<string, CallerRelationKind>
  actions: string[]
  /** The declared attributes (names of ATTRIBUTES). */
  attributes: AttributeName[]
}

/** The attributes a module may declare; the caller-like table has one column for each. */
export const ATTRIBUTES = {
  status: { enum: ['open', 'closed', 'locked'] },
  amount: 'number',
  tags: ['string'],
  due: 'timestamp',
  urgent: 'boolean'
} as const satisfies Record<string, AttributeDef>
export type AttributeName = keyof typeof ATTRIBUTES

const SUBJECT_ATTRIBUTES = { limit: 'number', dept: 'string' } as const satisfies Record<string, AttributeDef>
const TIMESTAMPS = ['2026-01-01T00:00:00Z', '2026-01-01T01:00:00+01:00', '2026-06-01T12:00:00.5Z', '2025-12-31T23:59:59.999999Z']

/**
 * How often resources hold ACLs and parents, and how their entries look. `ACL_HEAVY`
 * makes most resources ACL holders or below one, in deep folder trees, with deny
 * entries and entry conditions common (issue 17).
 */
export interface TenantShape {
  /** Chance that a resource holds its own ACL. */
  acl: number
  /** Chance that a resource has a parent. */
  parent: number
  /** Chance that an ACL entry denies some actions. */
  deny: number
  /** Chance that an ACL entry has a condition. */
  when: number
  /** Chance that a module gets a chain deeper than MAX_ANCESTOR_DEPTH. */
  deepChain: number
  /** Chance that a link of that chain below its root holds an ACL (0: none is drawn, so default seeds replay as before). */
  chainAcl: number
}

export const DEFAULT_SHAPE: TenantShape = { acl: 0.2, parent: 0.6, deny: 0.25, when: 0.2, deepChain: 0.25, chainAcl: 0 }
export const ACL_HEAVY: TenantShape = { acl: 0.5, parent: 0.9, deny: 0.5, when: 0.35, deepChain: 1, chainAcl: 0.1 }

export interface GeneratedTenant {
  /** The shape the tenant was drawn with; changes keep it. */
  shape: TenantShape
  bundle: Bundle
  modules: GeneratedModule[]
  /** Whether the bundle declares `subject_attributes` (`limit`, `dept`). */
  subjectAttributes: boolean
  subjects: Subject[]
  /** Per module, the resources to store, in the order to store them. */
  resources: Map<string, ResourceFacts[]>
}

const FLAGS = ['f0', 'f1', 'f2', 'f3']
const RELATIONS = ['assignee', 'creator', 'watcher', 'crew']
const ACTIONS = ['view', 'edit', 'close', 'delete', 'export']
const GROUPS = ['g0', 'g1', 'g2']
const PROJECTS = ['p0', 'p1', 'p2']

function randomLevel (rng: Rng): Level {
  return rng.pick(LEVELS)
}

function randomAccess (rng: Rng, module: GeneratedModule, assigned: readonly string[]): Access {
  const options: Access[] = ['none', 'all', 'all', rng.subset(module.relations, 0.5)]
  if (assigned.length > 0) options.push('assigned', 'assigned')
  return rng.pick(options)
}

/**
 * A condition of the supported subset (DESIGN.md §2) on what the module and bundle
 * declare: every operator, the resource's attributes, relations and id, the subject's
 * attributes, id and roles, the action's properties and the context. `acl`: none that
 * reads the resource (an ACL entry's condition may not).
 */
export function randomCondition (rng: Rng, module: GeneratedModule, subjectAttributes: boolean, roles: readonly string[], acl = false): string {
  const has = (a: AttributeName): boolean => !acl && module.attributes.includes(a)
  const options: string[] = ['action.reason == \'audit\'', 'context.level >= 2', 'context.level < 1 || action.reason != \'audit\'', `'${rng.pick(roles)}' in subject.roles`, 'subject.id != \'s1\'']
  if (subjectAttributes) options.push('subject.dept == \'north\'', 'has(subject.limit) && subject.limit > 50', 'subject.dept in [\'north\', \'east\']')
  if (has('status')) options.push('resource.status != \'locked\'', 'resource.status == \'open\'', 'resource.status in [\'open\', \'closed\']', '!(resource.status == \'closed\')', 'has(resource.status)', '!(resource.status != \'open\')')
  if (has('amount')) {
    options.push('resource.amount <= 100', 'resource.amount > 50.5 && resource.amount != 500.0', 'resource.amount in [0.0, 100.0]')
    if (subjectAttributes) options.push('resource.amount <= subject.limit', 'resource.amount < subject.limit || context.level == 3')
    options.push('resource.amount >= context.level')
    // Negated comparisons on the generated values' boundaries (100, 50.5, 0): each goes
    // through the planner's negation table, and `<` against `<=` differs only there.
    options.push('!(resource.amount < 100.0)', '!(resource.amount >= 50.5) || context.level == 3', '!(resource.amount <= 0.0 || resource.amount > 100.0)', '!(resource.amount == 100.0)')
  }
  if (has('tags')) options.push('\'gas\' in resource.tags', '!(\'water\' in resource.tags)', 'has(resource.tags)')
  if (has('due')) options.push('resource.due < timestamp(\'2026-01-01T00:30:00Z\')', 'resource.due >= timestamp(\'2026-01-01T00:00:00+00:00\')', '!(resource.due > timestamp(\'2026-01-01T00:00:00Z\'))')
  if (has('urgent')) options.push('resource.urgent == true', 'resource.urgent != false || action.reason == \'audit\'')
  if (has('status') && has('amount')) options.push('resource.status == \'open\' && resource.amount <= 100 || resource.status == \'locked\'')
  if (!acl && module.relations.length > 0) options.push(`subject.id in resource.${rng.pick(module.relations)}`)
  if (!acl) options.push('resource.id != \'' + module.name + 'x01\'', 'resource.id in [\'' + module.name + 'x02\', \'' + module.name + 'x03\']')
  return rng.pick(options)
}

/** Per action, a condition, for a random few of the actions (a grant's or an override's `when`). */
function randomWhen (rng: Rng, module: GeneratedModule, subjectAttributes: boolean, roles: readonly string[]): Record<string, string> | undefined {
  if (!rng.chance(0.45)) return undefined
  const when: Record<string, string> = {}
  for (const action of rng.subset(module.actions, 0.6)) when[action] = randomCondition(rng, module, subjectAttributes, roles)
  return Object.keys(when).length > 0 ? when : undefined
}

function randomGrant (rng: Rng, module: GeneratedModule, assigned: readonly string[], subjectAttributes: boolean, roles: readonly string[]): Grant {
  if (rng.chance(0.06)) return { admin: true }
  const grant: Grant = {}
  if (!rng.chance(0.1)) grant.access = randomAccess(rng, module, assigned)
  if (!rng.chance(0.15)) grant.level = randomLevel(rng)
  if (rng.chance(0.3)) grant.allow = rng.subset(module.actions, 0.3)
  if (rng.chance(0.25)) grant.deny = rng.subset(module.actions, 0.3)
  if (rng.chance(0.3)) {
    const scope: Record<string, Access> = {}
    for (const action of rng.subset(module.actions, 0.35)) scope[action] = randomAccess(rng, module, assigned)
    grant.scope = scope
  }
  const when = randomWhen(rng, module, subjectAttributes, roles)
  if (when !== undefined) grant.when = when
  return grant
}

function randomOverride (rng: Rng, module: GeneratedModule, assigned: readonly string[], subjectAttributes: boolean, roles: readonly string[]): ModuleOverride {
  const o: ModuleOverride = {}
  if (rng.chance(0.5)) o.access = randomAccess(rng, module, assigned)
  if (rng.chance(0.4)) o.level = randomLevel(rng)
  if (rng.chance(0.4)) o.allow = rng.subset(module.actions, 0.35)
  if (rng.chance(0.2)) o.deny = rng.subset(module.actions, 0.25)
  const when = randomWhen(rng, module, subjectAttributes, roles)
  if (when !== undefined) o.when = when
  return o
}

/** A resource's attribute values: each declared one present three times in four. */
function randomAttributes (rng: Rng, module: GeneratedModule): Record<string, AttributeValue> | undefined {
  if (module.attributes.length === 0) return undefined
  const values: Record<string, AttributeValue> = {}
  for (const name of module.attributes) {
    if (rng.chance(0.25)) continue
    switch (name) {
      case 'status': values.status = rng.pick(ATTRIBUTES.status.enum); break
      case 'amount': values.amount = rng.pick([0, 50.5, 100, 100.25, 500, -3]); break
      case 'tags': values.tags = rng.subset(['gas', 'water', 'power'], 0.4); break
      case 'due': values.due = rng.pick(TIMESTAMPS); break
      default: values.urgent = rng.chance(0.5)
    }
  }
  return values
}

/**
 * What a request tells conditions besides subject and resource, drawn at random: an
 * action property `reason`, a context `level` (sometimes of another type), and
 * sometimes subject attributes replacing the stored ones.
 */
export function randomInputs (rng: Rng, tenant: GeneratedTenant): ConditionInputs {
  const inputs: ConditionInputs = {}
  if (rng.chance(0.6)) inputs.actionProperties = rng.chance(0.8) ? { reason: rng.pick(['audit', 'other']) } : {}
  if (rng.chance(0.6)) inputs.context = { level: rng.chance(0.85) ? rng.range(0, 3) : 'high' }
  if (tenant.subjectAttributes && rng.chance(0.3)) inputs.subjectAttributes = rng.chance(0.5) ? { limit: rng.pick([0, 100, 1000]) } : { dept: rng.pick(['north', 'south']) }
  return inputs
}

/** Names a relation value or an ACL `who` may take: subjects' ids and aliases, groups (also without the prefix, which names nothing), strangers. */
function valuePool (subjects: readonly Subject[]): string[] {
  const names = subjects.flatMap(s => [s.id, ...(s.aliases ?? [])])
  return [...names, ...GROUPS.map(g => `group:${g}`), 'g0', 'stranger']
}

function randomAcl (rng: Rng, shape: TenantShape, module: GeneratedModule, roles: readonly string[], pool: readonly string[], subjectAttributes: boolean): AclEntry[] {
  const entries: AclEntry[] = []
  const count = rng.chance(0.15) ? 0 : rng.range(1, 3)
  for (let i = 0; i < count; i++) {
    const who = rng.chance(0.15) ? '*' : rng.chance(0.25) ? `role:${rng.pick(roles)}` : rng.pick(pool)
    const entry: AclEntry = { who }
    if (rng.chance(0.85)) entry.allow = rng.subset(module.actions, 0.5)
    if (rng.chance(shape.deny)) entry.deny = rng.subset(module.actions, 0.3)
    if (rng.chance(shape.when)) entry.when = randomCondition(rng, module, subjectAttributes, roles, true)
    entries.push(entry)
  }
  return entries
}

function randomRelations (rng: Rng, module: GeneratedModule, pool: readonly string[]): Record<string, string[]> {
  const relations: Record<string, string[]> = {}
  for (const relation of module.relations) {
    if (rng.chance(0.3)) continue
    const count = module.callerKinds[relation] === 'column' ? 1 : rng.range(0, 3)
    relations[relation] = [...new Set(Array.from({ length: count }, () => rng.pick(pool)))]
  }
  return relations
}

/** A resource's project, parent and ACL drawn afresh. */
function randomPlacement (rng: Rng, shape: TenantShape, module: GeneratedModule, ids: readonly string[], roles: readonly string[], pool: readonly string[], id: string, subjectAttributes: boolean): Pick<ResourceFacts, 'project' | 'parent' | 'acl'> {
  const out: Pick<ResourceFacts, 'project' | 'parent' | 'acl'> = {}
  if (rng.chance(0.4)) out.project = rng.pick(PROJECTS)
  if (rng.chance(shape.parent)) {
    const parent = rng.chance(0.1) ? `${module.name}-gone${rng.int(3)}` : rng.pick(ids)
    if (parent !== id) out.parent = parent
  }
  if (rng.chance(shape.acl)) out.acl = randomAcl(rng, shape, module, roles, pool, subjectAttributes)
  return out
}

export function generateTenant (rng: Rng, shape: TenantShape = DEFAULT_SHAPE): GeneratedTenant {
  const flags = FLAGS.slice(0, rng.range(0, FLAGS.length))
  const subjectAttributes = rng.chance(0.6)
  const modules: GeneratedModule[] = []
  const moduleDefs: Record<string, ModuleDef> = {}
  const assignedOf = new Map<string, string[]>()
  for (let m = 0; m < rng.range(1, 2); m++) {
    const name = `m${m}`
    const relations = rng.shuffle(RELATIONS).slice(0, rng.range(0, RELATIONS.length))
    const kinds = ['column', 'array', 'join', 'join'] as const
    const callerKinds = Object.fromEntries(relations.map((r, i) => [r, kinds[i] as CallerRelationKind]))
    const actions = ACTIONS.slice(0, rng.range(1, ACTIONS.length))
    const attributes = rng.chance(0.75) ? rng.subset(Object.keys(ATTRIBUTES) as AttributeName[], 0.6) : []
    const module: GeneratedModule = { name, relations, callerKinds, actions, attributes }
    modules.push(module)
    const def: ModuleDef = { actions: {} }
    if (relations.length > 0) def.relations = relations
    if (attributes.length > 0) def.attributes = Object.fromEntries(attributes.map(a => [a, structuredClone(ATTRIBUTES[a]) as AttributeDef]))
    let assigned = relations
    if (relations.length > 0 && rng.chance(0.4)) {
      assigned = rng.subset(relations, 0.5)
      def.assigned = assigned
    }
    assignedOf.set(name, assigned)
    for (const action of actions) {
      def.actions[action] = { level: randomLevel(rng) }
      const needs = rng.subset(flags, 0.2)
      if (needs.length > 0) def.actions[action].flags = needs
    }
    moduleDefs[name] = def
  }

  const roleNames = Array.from({ length: rng.range(2, 5) }, (_, i) => `r${i}`)
  for (const module of modules) {
    for (const action of module.actions) {
      const def = moduleDefs[module.name]?.actions[action]
      if (def !== undefined && rng.chance(0.3)) def.when = randomCondition(rng, module, subjectAttributes, roleNames)
    }
  }
  const roles: Record<string, RoleDef> = {}
  for (const role of roleNames) {
    const def: RoleDef = {}
    if (rng.chance(0.04)) def.all = true
    const held = rng.subset(flags, 0.4)
    if (held.length > 0) def.flags = held
    const grants: Record<string, Grant> = {}
    for (const module of modules) {
      if (rng.chance(0.65)) grants[module.name] = randomGrant(rng, module, assignedOf.get(module.name) ?? [], subjectAttributes, roleNames)
    }
    if (Object.keys(grants).length > 0) def.modules = grants
    roles[role] = def
  }
  const bundle: Bundle = { version: 1, modules: moduleDefs, roles }
  if (flags.length > 0) bundle.flags = Object.fromEntries(flags.map(f => [f, `flag ${f}`]))
  if (subjectAttributes) bundle.subject_attributes = { ...SUBJECT_ATTRIBUTES }

  const subjects: Subject[] = []
  const roleChoices = [...roleNames, 'ghost']
  for (let i = 0; i < rng.range(3, 7); i++) {
    const s: Subject = { id: `s${i}`, roles: rng.subset(roleChoices, 0.3) }
    if (rng.chance(0.3)) s.aliases = [`s${i}-mail`]
    if (rng.chance(0.5)) s.groups = rng.subset(GROUPS, 0.5)
    if (rng.chance(0.5)) {
      const projects: Record<string, string[]> = {}
      for (const project of rng.subset(PROJECTS.slice(0, 2), 0.7)) projects[project] = rng.subset(roleChoices, 0.4)
      s.projects = projects
    }
    if (rng.chance(0.05)) s.status = 'inactive'
    else if (rng.chance(0.1)) s.status = 'active'
    if (rng.chance(0.05)) s.login = false
    if (rng.chance(0.04)) s.owner = true
    if (rng.chance(0.4)) {
      const overrides: NonNullable<Subject['overrides']> = {}
      if (flags.length > 0 && rng.chance(0.5)) overrides.flags = Object.fromEntries(rng.subset(flags, 0.5).map(f => [f, rng.chance(0.5)]))
      const mods: Record<string, ModuleOverride> = {}
      for (const module of modules) if (rng.chance(0.6)) mods[module.name] = randomOverride(rng, module, assignedOf.get(module.name) ?? [], subjectAttributes, roleNames)
      if (Object.keys(mods).length > 0) overrides.modules = mods
      s.overrides = overrides
    }
    if (subjectAttributes && rng.chance(0.6)) {
      const attributes: Record<string, AttributeValue> = {}
      if (rng.chance(0.7)) attributes.limit = rng.pick([0, 50, 100, 500])
      if (rng.chance(0.7)) attributes.dept = rng.pick(['north', 'south', 'east'])
      s.attributes = attributes
    }
    subjects.push(s)
  }

  const pool = valuePool(subjects)
  const resources = new Map<string, ResourceFacts[]>()
  for (const module of modules) {
    const ids = Array.from({ length: rng.range(8, 30) }, (_, i) => `${module.name}x${String(i).padStart(2, '0')}`)
    const list: ResourceFacts[] = ids.map(id => withAttributes(rng, module, { module: module.name, id, relations: randomRelations(rng, module, pool), ...randomPlacement(rng, shape, module, ids, roleNames, pool, id, subjectAttributes) }))
    if (rng.chance(shape.deepChain)) list.push(...deepChain(rng, shape, module, roleNames, pool, subjectAttributes))
    resources.set(module.name, rng.shuffle(list))
  }
  return { shape, bundle, modules, subjectAttributes, subjects, resources }
}

function withAttributes (rng: Rng, module: GeneratedModule, r: ResourceFacts): ResourceFacts {
  const attributes = randomAttributes(rng, module)
  if (attributes !== undefined) r.attributes = attributes
  return r
}

/**
 * A chain longer than MAX_ANCESTOR_DEPTH: only its root holds a project and maybe an
 * ACL, so resources near the end of the chain are out of their reach; in an ACL-heavy
 * tenant some links below hold ACLs of their own too.
 */
function deepChain (rng: Rng, shape: TenantShape, module: GeneratedModule, roles: readonly string[], pool: readonly string[], subjectAttributes: boolean): ResourceFacts[] {
  const length = MAX_ANCESTOR_DEPTH + rng.range(1, 4)
  const chain: ResourceFacts[] = []
  for (let i = 0; i < length; i++) {
    const r: ResourceFacts = withAttributes(rng, module, { module: module.name, id: `${module.name}c${String(i).padStart(2, '0')}`, relations: randomRelations(rng, module, pool) })
    if (i > 0) r.parent = `${module.name}c${String(i - 1).padStart(2, '0')}`
    if (i > 0 && shape.chainAcl > 0 && rng.chance(shape.chainAcl)) r.acl = randomAcl(rng, shape, module, roles, pool, subjectAttributes)
    chain.push(r)
  }
  const root = chain[0] as ResourceFacts
  root.project = rng.pick(PROJECTS)
  if (rng.chance(0.5)) root.acl = randomAcl(rng, shape, module, roles, pool, subjectAttributes)
  return chain
}

/** A change to apply to the stored resources of a module. */
export type Change =
  | { kind: 'put', resource: ResourceFacts }
  | { kind: 'delete', id: string }

/**
 * Random changes to a module's resources: moves (new parent, project or ACL), new
 * relation values, deletions, and resources created under ids that others already
 * name as their parent. `current` is not modified.
 */
export function randomChanges (rng: Rng, tenant: GeneratedTenant, module: GeneratedModule, current: readonly ResourceFacts[]): Change[] {
  const roles = Object.keys(tenant.bundle.roles)
  const pool = valuePool(tenant.subjects)
  const ids = current.map(r => r.id)
  const changes: Change[] = []
  const count = Math.max(1, Math.floor(current.length * 0.3))
  for (let i = 0; i < count && ids.length > 0; i++) {
    const target = rng.pick(current)
    const roll = rng.next()
    if (roll < 0.15) {
      changes.push({ kind: 'delete', id: target.id })
    } else if (roll < 0.3) {
      changes.push({ kind: 'put', resource: { ...target, relations: randomRelations(rng, module, pool) } })
    } else if (roll < 0.4) {
      const orphanParent = current.map(r => r.parent).find(p => p !== undefined && !ids.includes(p))
      const id = orphanParent ?? `${module.name}n${i}`
      changes.push({ kind: 'put', resource: withAttributes(rng, module, { module: module.name, id, relations: randomRelations(rng, module, pool), ...randomPlacement(rng, tenant.shape, module, ids, roles, pool, id, tenant.subjectAttributes) }) })
    } else if (roll < 0.55) {
      // New attribute values only: a status change, an amount edited.
      const { attributes: _dropped, ...rest } = target
      changes.push({ kind: 'put', resource: withAttributes(rng, module, rest) })
    } else {
      const placement = randomPlacement(rng, tenant.shape, module, ids, roles, pool, target.id, tenant.subjectAttributes)
      const moved: ResourceFacts = { module: module.name, id: target.id, relations: target.relations, ...placement }
      if (target.attributes !== undefined) moved.attributes = target.attributes
      changes.push({ kind: 'put', resource: moved })
    }
  }
  return changes
}

/** `resources` after `changes`. */
export function applyChanges (resources: readonly ResourceFacts[], changes: readonly Change[]): ResourceFacts[] {
  const byId = new Map(resources.map(r => [r.id, r]))
  for (const change of changes) {
    if (change.kind === 'delete') byId.delete(change.id)
    else byId.set(change.resource.id, change.resource)
  }
  return [...byId.values()]
}
