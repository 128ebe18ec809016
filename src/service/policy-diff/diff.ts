/**
 * `diffPolicies`: the impact of replacing one compiled policy by another, as a structured
 * report (see types.ts and docs/policy-diff.md). Pure and deterministic: the same two
 * policies and subjects always give the same report, in the same order.
 */
import type { CompiledPolicy, FieldMode, ModuleDeclaration, PolicyDeclarations, Subject } from '../../engine/index.js'
import { policyDeclarations, roleFieldMode, rolePermission } from '../../engine/index.js'
import { compareNames, samePermission, unionActions, unionSorted } from './role-permissions.js'
import { NOT_ALLOWED, sameReach, subjectReach } from './subject-reach.js'
import type {
  ActionDefinition, DeclaredNames, DefinitionChange, DiffOptions, FieldChange, ModuleDefinition, PermissionChange,
  PermissionChangeKind, PolicyDiff, RoleDefinition, SubjectChange, SubjectImpact, SubjectReach
} from './types.js'

/** A diff past `DiffOptions.maxProfileModules`: its subjects have too many distinct profiles for its modules. */
export class DiffTooLarge extends Error {
  constructor (readonly maxProfileModules: number) {
    super(`the diff would compare more than ${maxProfileModules} modules over the subjects' distinct profiles (roles, projects, overrides)`)
    this.name = 'DiffTooLarge'
  }
}

/**
 * Compares `before` with `after`: names declared on one side only, changed definitions,
 * per (role, module, action) the permissions that changed, per (role, module, field) the
 * modes that changed, and, with `options.subjects`, what each subject gains or loses.
 * Never throws on compiled policies, but past `options.maxProfileModules` (DiffTooLarge);
 * subjects are read as decisions read them (unknown role names grant nothing), so validate
 * them first.
 */
export function diffPolicies (before: CompiledPolicy, after: CompiledPolicy, options: DiffOptions = {}): PolicyDiff {
  const was = { policy: before, declared: policyDeclarations(before) }
  const is = { policy: after, declared: policyDeclarations(after) }
  const roles = unionSorted(was.declared.roles.keys(), is.declared.roles.keys())
  const modules = unionSorted(was.declared.modules.keys(), is.declared.modules.keys())
  const permissions = permissionChanges(was, is, roles, modules)
  const fields = fieldChanges(was, is, roles, modules)
  const added = declaredOnlyIn(is.declared, was.declared)
  const removed = declaredOnlyIn(was.declared, is.declared)
  const definitions = definitionChanges(was.declared, is.declared, modules)
  const subjects = options.subjects === undefined ? undefined : subjectImpacts(was, is, modules, options.subjects, options.maxProfileModules)

  const count = (kind: PermissionChangeKind): number => permissions.filter(p => p.change === kind).length
  const namesCount = (n: DeclaredNames): number => n.flags.length + n.modules.length + n.actions.length + n.fields.length + n.roles.length
  const declarations = namesCount(added) + namesCount(removed) + definitions.length
  const report: PolicyDiff = {
    changed: permissions.length + fields.length + declarations + (subjects?.length ?? 0) > 0,
    summary: {
      permissions: { gained: count('gained'), lost: count('lost'), changed: count('changed') },
      fields: fields.length,
      declarations
    },
    added,
    removed,
    definitions,
    permissions,
    fields
  }
  if (subjects !== undefined && options.subjects !== undefined) {
    report.summary.subjects = { checked: options.subjects.length, affected: subjects.length }
    report.subjects = subjects
  }
  return report
}

/** One side of the comparison: the policy, and what it declares (read once). */
interface Side {
  policy: CompiledPolicy
  declared: PolicyDeclarations
}

// --- roles ----------------------------------------------------------------------------

function permissionChanges (before: Side, after: Side, roles: string[], modules: string[]): PermissionChange[] {
  const changes: PermissionChange[] = []
  for (const role of roles) {
    for (const module of modules) {
      for (const action of unionActions(before.declared.modules.get(module), after.declared.modules.get(module))) {
        const was = rolePermission(before.policy, role, module, action)
        const is = rolePermission(after.policy, role, module, action)
        if (samePermission(was, is)) continue
        const change: PermissionChangeKind = !was.granted ? 'gained' : !is.granted ? 'lost' : 'changed'
        changes.push({ role, module, action, change, before: was, after: is })
      }
    }
  }
  return changes
}

function fieldChanges (before: Side, after: Side, roles: string[], modules: string[]): FieldChange[] {
  const changes: FieldChange[] = []
  for (const role of roles) {
    for (const module of modules) {
      const names = unionSorted(fieldNames(before.declared.modules.get(module)), fieldNames(after.declared.modules.get(module)))
      for (const field of names) {
        const was: FieldMode = roleFieldMode(before.policy, role, module, field)
        const is: FieldMode = roleFieldMode(after.policy, role, module, field)
        if (was !== is) changes.push({ role, module, field, before: was, after: is })
      }
    }
  }
  return changes
}

function fieldNames (module: ModuleDeclaration | undefined): string[] {
  return (module?.fields ?? []).map(f => f.name)
}

// --- declarations ---------------------------------------------------------------------

/** What `policy` declares and `other` does not. */
function declaredOnlyIn (policy: PolicyDeclarations, other: PolicyDeclarations): DeclaredNames {
  const missing = (names: Iterable<string>, has: (name: string) => boolean): string[] => [...names].filter(n => !has(n)).sort(compareNames)
  const names: DeclaredNames = {
    flags: missing(policy.flags, f => other.flags.includes(f)),
    modules: missing(policy.modules.keys(), m => other.modules.has(m)),
    actions: [],
    fields: [],
    roles: missing(policy.roles.keys(), r => other.roles.has(r))
  }
  for (const name of [...policy.modules.keys()].sort(compareNames)) {
    const module = policy.modules.get(name) as ModuleDeclaration
    const counterpart = other.modules.get(name)
    if (counterpart === undefined) continue
    for (const { name: action } of module.actions) if (!counterpart.actions.some(a => a.name === action)) names.actions.push({ module: name, action })
    for (const field of fieldNames(module)) if (!counterpart.fields.some(f => f.name === field)) names.fields.push({ module: name, field })
  }
  return names
}

function definitionChanges (before: PolicyDeclarations, after: PolicyDeclarations, modules: string[]): DefinitionChange[] {
  const changes: DefinitionChange[] = []
  const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b)
  for (const name of modules) {
    const was = before.modules.get(name)
    const is = after.modules.get(name)
    if (was === undefined || is === undefined) continue
    const wasDef = moduleDefinition(was)
    const isDef = moduleDefinition(is)
    if (!same(wasDef, isDef)) changes.push({ kind: 'module', module: name, before: wasDef, after: isDef })
    for (const action of is.actions) {
      const old = was.actions.find(a => a.name === action.name)
      if (old === undefined) continue
      const a = actionDefinition(old)
      const b = actionDefinition(action)
      if (!same(a, b)) changes.push({ kind: 'action', module: name, action: action.name, before: a, after: b })
    }
    for (const field of is.fields) {
      const old = was.fields.find(f => f.name === field.name)
      if (old === undefined) continue
      const a = { flags: sortedNames(old.flags) }
      const b = { flags: sortedNames(field.flags) }
      if (!same(a, b)) changes.push({ kind: 'field', module: name, field: field.name, before: a, after: b })
    }
  }
  for (const role of unionSorted(before.roles.keys(), after.roles.keys())) {
    const a = roleDefinition(before, role)
    const b = roleDefinition(after, role)
    if (a !== undefined && b !== undefined && !same(a, b)) changes.push({ kind: 'role', role, before: a, after: b })
  }
  return changes
}

function moduleDefinition (module: ModuleDeclaration): ModuleDefinition {
  return { relations: sortedNames(module.relations), assigned: sortedNames(module.assigned) }
}

function actionDefinition (action: ModuleDeclaration['actions'][number]): ActionDefinition {
  const definition: ActionDefinition = { level: action.level, flags: sortedNames(action.flags) }
  if (action.when !== undefined) definition.when = action.when
  return definition
}

function roleDefinition (policy: PolicyDeclarations, name: string): RoleDefinition | undefined {
  const role = policy.roles.get(name)
  if (role === undefined) return undefined
  return { all: role.all, protected: role.protected, flags: sortedNames(role.flags) }
}

function sortedNames (names: readonly string[]): string[] {
  return [...new Set(names)].sort(compareNames)
}

// --- subjects -------------------------------------------------------------------------

function subjectImpacts (before: Side, after: Side, modules: string[], subjects: readonly Subject[], maxProfileModules = Infinity): SubjectImpact[] {
  const impacts: SubjectImpact[] = []
  const ordered = [...subjects].sort((a, b) => compareNames(a.id, b.id))
  const reaches = new ReachCache(maxProfileModules)
  for (const subject of ordered) {
    const tenantWide = reachChanges(reaches, before, after, modules, subject, undefined)
    const projects: SubjectImpact['projects'] = []
    for (const project of projectsOf(subject)) {
      const here = reachChanges(reaches, before, after, modules, subject, project)
      const changes: SubjectChange[] = []
      for (const [key, pair] of here.all) {
        const base = tenantWide.all.get(key) as ReachPair
        const change = changeKind(pair.before, pair.after)
        // Nothing changes here nor tenant-wide, or the same transition as tenant-wide: nothing to add.
        if (change === undefined && changeKind(base.before, base.after) === undefined) continue
        if (sameReach(pair.before, base.before) && sameReach(pair.after, base.after)) continue
        changes.push({ ...pair.ref, change: change ?? 'unchanged', before: pair.before, after: pair.after })
      }
      if (changes.length > 0) projects.push({ project, changes })
    }
    const changes = tenantWide.changes
    if (changes.length > 0 || projects.length > 0) impacts.push({ subject: subject.id, changes, projects })
  }
  return impacts
}

/** The projects in which the subject holds at least one role, sorted. */
function projectsOf (subject: Subject): string[] {
  const projects = subject.projects
  if (typeof projects !== 'object' || projects === null || Array.isArray(projects)) return []
  return Object.entries(projects)
    .filter(([, roles]) => Array.isArray(roles) && roles.length > 0)
    .map(([project]) => project)
    .sort(compareNames)
}

interface ReachPair {
  ref: { module: string, action: string }
  before: SubjectReach
  after: SubjectReach
}

/** Every (module, action) with its reach on both sides, keyed `module\naction`, and the changes among them. */
function reachChanges (
  reaches: ReachCache, before: Side, after: Side, modules: string[], subject: Subject, project: string | undefined
): ReachChanges {
  const profile = profileKey(subject, project)
  // The same for every subject of a profile: computed once, read (never changed) by each.
  const known = reaches.changes.get(profile)
  if (known !== undefined) return known
  reaches.spend(modules.length)
  const all = new Map<string, ReachPair>()
  const changes: SubjectChange[] = []
  for (const module of modules) {
    const was = before.declared.modules.get(module)
    const is = after.declared.modules.get(module)
    const wasReach = was === undefined ? NO_REACH : reaches.get(before.policy, subject, was, project, profile)
    const isReach = is === undefined ? NO_REACH : reaches.get(after.policy, subject, is, project, profile)
    for (const action of unionActions(was, is)) {
      const pair: ReachPair = { ref: { module, action }, before: wasReach.get(action) ?? NOT_ALLOWED, after: isReach.get(action) ?? NOT_ALLOWED }
      all.set(`${module}\n${action}`, pair)
      const change = changeKind(pair.before, pair.after)
      if (change !== undefined) changes.push({ ...pair.ref, change, before: pair.before, after: pair.after })
    }
  }
  const computed = { all, changes }
  reaches.changes.set(profile, computed)
  return computed
}

interface ReachChanges { all: Map<string, ReachPair>, changes: SubjectChange[] }

const NO_REACH: ReadonlyMap<string, SubjectReach> = new Map()

/**
 * Reaches computed once per distinct subject profile. A reach is stated in relation names,
 * and probes name the subject by its id only, so it depends on the subject through what a
 * decision reads besides its names: the roles that apply (tenant-wide, and those held in
 * the project), its overrides, `owner`, `status` and `login`. Subjects of the same profile
 * (most of a tenant's) share one computation.
 */
class ReachCache {
  readonly #byPolicy = new Map<CompiledPolicy, Map<string, ReadonlyMap<string, SubjectReach>>>()
  /** `reachChanges` by profile: one diff compares the same two policies over the same modules. */
  readonly changes = new Map<string, ReachChanges>()
  #spent = 0

  constructor (readonly maxProfileModules: number) {}

  /** Counts the modules compared for a new profile; throws DiffTooLarge past the bound. */
  spend (modules: number): void {
    this.#spent += modules
    if (this.#spent > this.maxProfileModules) throw new DiffTooLarge(this.maxProfileModules)
  }

  /** `profile` is `profileKey(subject, project)`, computed once per subject and project by the caller. */
  get (policy: CompiledPolicy, subject: Subject, module: ModuleDeclaration, project: string | undefined, profile: string): ReadonlyMap<string, SubjectReach> {
    let cache = this.#byPolicy.get(policy)
    if (cache === undefined) this.#byPolicy.set(policy, cache = new Map())
    const key = `${module.name}\n${profile}`
    const known = cache.get(key)
    if (known !== undefined) return known
    const reach = subjectReach(policy, subject, module, project)
    cache.set(key, reach)
    return reach
  }
}

function profileKey (subject: Subject, project: string | undefined): string {
  const list = (value: unknown): string[] => Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : []
  const projects: unknown = subject.projects
  const inProject = project !== undefined && typeof projects === 'object' && projects !== null && Object.hasOwn(projects, project)
    ? list((projects as Record<string, unknown>)[project])
    : []
  return JSON.stringify([
    [...new Set(list(subject.roles))].sort(compareNames),
    [...new Set(inProject)].sort(compareNames),
    subject.overrides ?? null,
    subject.owner ?? null,
    subject.status ?? null,
    subject.login ?? null
  ])
}

function changeKind (before: SubjectReach, after: SubjectReach): PermissionChangeKind | undefined {
  if (sameReach(before, after)) return undefined
  if (!before.allowed) return 'gained'
  return after.allowed ? 'changed' : 'lost'
}
