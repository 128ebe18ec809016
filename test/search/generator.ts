/**
 * A seeded generator of random tenants for the search equivalence tests: a policy
 * (modules with relations and actions at random levels and flags, roles with random
 * grants), subjects (roles, project roles, groups, aliases, overrides, status, owner,
 * login) and stored resources (relations, projects, parents forming trees, chains deeper
 * than MAX_ANCESTOR_DEPTH and cycles, ACLs), plus random changes to those resources.
 * The same seed gives the same tenant, so a failure replays with GATEHOUSE_SEED.
 */
import type { AclEntry, Access, Bundle, Grant, Level, ModuleDef, ModuleOverride, ResourceFacts, RoleDef, Subject } from '../../src/engine/index.js'
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
}

export interface GeneratedTenant {
  bundle: Bundle
  modules: GeneratedModule[]
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

function randomGrant (rng: Rng, module: GeneratedModule, assigned: readonly string[]): Grant {
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
  return grant
}

function randomOverride (rng: Rng, module: GeneratedModule, assigned: readonly string[]): ModuleOverride {
  const o: ModuleOverride = {}
  if (rng.chance(0.5)) o.access = randomAccess(rng, module, assigned)
  if (rng.chance(0.4)) o.level = randomLevel(rng)
  if (rng.chance(0.4)) o.allow = rng.subset(module.actions, 0.35)
  if (rng.chance(0.2)) o.deny = rng.subset(module.actions, 0.25)
  return o
}

/** Names a relation value or an ACL `who` may take: subjects' ids and aliases, groups (also without the prefix, which names nothing), strangers. */
function valuePool (subjects: readonly Subject[]): string[] {
  const names = subjects.flatMap(s => [s.id, ...(s.aliases ?? [])])
  return [...names, ...GROUPS.map(g => `group:${g}`), 'g0', 'stranger']
}

function randomAcl (rng: Rng, module: GeneratedModule, roles: readonly string[], pool: readonly string[]): AclEntry[] {
  const entries: AclEntry[] = []
  const count = rng.chance(0.15) ? 0 : rng.range(1, 3)
  for (let i = 0; i < count; i++) {
    const who = rng.chance(0.15) ? '*' : rng.chance(0.25) ? `role:${rng.pick(roles)}` : rng.pick(pool)
    const entry: AclEntry = { who }
    if (rng.chance(0.85)) entry.allow = rng.subset(module.actions, 0.5)
    if (rng.chance(0.25)) entry.deny = rng.subset(module.actions, 0.3)
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
function randomPlacement (rng: Rng, module: GeneratedModule, ids: readonly string[], roles: readonly string[], pool: readonly string[], id: string): Pick<ResourceFacts, 'project' | 'parent' | 'acl'> {
  const out: Pick<ResourceFacts, 'project' | 'parent' | 'acl'> = {}
  if (rng.chance(0.4)) out.project = rng.pick(PROJECTS)
  if (rng.chance(0.6)) {
    const parent = rng.chance(0.1) ? `${module.name}-gone${rng.int(3)}` : rng.pick(ids)
    if (parent !== id) out.parent = parent
  }
  if (rng.chance(0.2)) out.acl = randomAcl(rng, module, roles, pool)
  return out
}

export function generateTenant (rng: Rng): GeneratedTenant {
  const flags = FLAGS.slice(0, rng.range(0, FLAGS.length))
  const modules: GeneratedModule[] = []
  const moduleDefs: Record<string, ModuleDef> = {}
  const assignedOf = new Map<string, string[]>()
  for (let m = 0; m < rng.range(1, 2); m++) {
    const name = `m${m}`
    const relations = rng.shuffle(RELATIONS).slice(0, rng.range(0, RELATIONS.length))
    const kinds = ['column', 'array', 'join', 'join'] as const
    const callerKinds = Object.fromEntries(relations.map((r, i) => [r, kinds[i] as CallerRelationKind]))
    const actions = ACTIONS.slice(0, rng.range(1, ACTIONS.length))
    const module: GeneratedModule = { name, relations, callerKinds, actions }
    modules.push(module)
    const def: ModuleDef = { actions: {} }
    if (relations.length > 0) def.relations = relations
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
  const roles: Record<string, RoleDef> = {}
  for (const role of roleNames) {
    const def: RoleDef = {}
    if (rng.chance(0.04)) def.all = true
    const held = rng.subset(flags, 0.4)
    if (held.length > 0) def.flags = held
    const grants: Record<string, Grant> = {}
    for (const module of modules) {
      if (rng.chance(0.65)) grants[module.name] = randomGrant(rng, module, assignedOf.get(module.name) ?? [])
    }
    if (Object.keys(grants).length > 0) def.modules = grants
    roles[role] = def
  }
  const bundle: Bundle = { version: 1, modules: moduleDefs, roles }
  if (flags.length > 0) bundle.flags = Object.fromEntries(flags.map(f => [f, `flag ${f}`]))

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
      for (const module of modules) if (rng.chance(0.6)) mods[module.name] = randomOverride(rng, module, assignedOf.get(module.name) ?? [])
      if (Object.keys(mods).length > 0) overrides.modules = mods
      s.overrides = overrides
    }
    subjects.push(s)
  }

  const pool = valuePool(subjects)
  const resources = new Map<string, ResourceFacts[]>()
  for (const module of modules) {
    const ids = Array.from({ length: rng.range(8, 30) }, (_, i) => `${module.name}x${String(i).padStart(2, '0')}`)
    const list: ResourceFacts[] = ids.map(id => ({ module: module.name, id, relations: randomRelations(rng, module, pool), ...randomPlacement(rng, module, ids, roleNames, pool, id) }))
    if (rng.chance(0.25)) list.push(...deepChain(rng, module, roleNames, pool))
    resources.set(module.name, rng.shuffle(list))
  }
  return { bundle, modules, subjects, resources }
}

/**
 * A chain longer than MAX_ANCESTOR_DEPTH: only its root holds a project and maybe an
 * ACL, so resources near the end of the chain are out of their reach.
 */
function deepChain (rng: Rng, module: GeneratedModule, roles: readonly string[], pool: readonly string[]): ResourceFacts[] {
  const length = MAX_ANCESTOR_DEPTH + rng.range(1, 4)
  const chain: ResourceFacts[] = []
  for (let i = 0; i < length; i++) {
    const r: ResourceFacts = { module: module.name, id: `${module.name}c${String(i).padStart(2, '0')}`, relations: randomRelations(rng, module, pool) }
    if (i > 0) r.parent = `${module.name}c${String(i - 1).padStart(2, '0')}`
    chain.push(r)
  }
  const root = chain[0] as ResourceFacts
  root.project = rng.pick(PROJECTS)
  if (rng.chance(0.5)) root.acl = randomAcl(rng, module, roles, pool)
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
      changes.push({ kind: 'put', resource: { module: module.name, id, relations: randomRelations(rng, module, pool), ...randomPlacement(rng, module, ids, roles, pool, id) } })
    } else {
      const placement = randomPlacement(rng, module, ids, roles, pool, target.id)
      changes.push({ kind: 'put', resource: { module: module.name, id: target.id, relations: target.relations, ...placement } })
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
