/**
 * What a decision knows once the subject, the resource's effective project and the
 * module are fixed: the roles that apply, the flags held, the subject's override on the
 * module and the grants that may grant (ADR 0001). None of it depends on the resource
 * or on the subject's names, so a `CompiledSubject` builds each context once, and
 * subjects alike in roles, flags and overrides share it.
 */
import type { Bits } from './bits.js'
import { bitsOf, clearBit, emptyBits, hasBit, orInto, setBit } from './bits.js'
import { compileGrant } from './compile.js'
import type { CompiledCondition } from './condition.js'
import { never } from './condition.js'
import { aclFields, grantFields } from './fields.js'
import type { FieldAccess, Grant, ModuleOverride, ResourceFacts, Subject } from './model.js'
import { getOwn, isRecord, listOf } from './own.js'
import type { CompiledGrant, CompiledModule, CompiledPolicy, CompiledRole } from './policy.js'

/** A grant that may grant on the module, with the subject's override applied. */
export interface CandidateGrant {
  /** The grant as evaluated (override applied). */
  grant: CompiledGrant
  /** The role grant before the override; `undefined` for the override's own grant. */
  original: CompiledGrant | undefined
}

/** A role that grants everything on the module, so that ACLs and grants are not consulted. */
export interface SuperRole {
  code: 'role_all' | 'module_admin'
  role: string
}

/** The roles that apply to a subject in one project (or in none), and the flags they give. */
export interface AppliedRoles {
  /** Defined roles that apply: tenant-wide first, then those held in the project; no repeats. */
  roles: readonly CompiledRole[]
  /** `role:<name>` for each of `roles`: the ACL `who` values that name one of them. */
  roleRefs: ReadonlySet<string>
  /** The union of the roles' flags, then the override's `flags` applied. */
  flags: Bits
}

/**
 * How many grants a context may have for `fieldsOfGranting` to take a set of them as a
 * bitmask (bit `g` for `grants[g]`); with more, callers compute fields themselves.
 */
export const MAX_MASKED_GRANTS = 31

/** How many granting sets a context remembers the fields of; more are computed each time. */
const MAX_REMEMBERED_FIELDS = 256

/**
 * Everything a decision on a module reads besides the subject's names and the resource.
 * Shared by every subject of one profile (see `compiled-subject.ts`), so it holds nothing
 * particular to one subject. Treat as immutable: the only state is remembered field
 * lists, each a pure function of the context.
 */
export class DecisionContext {
  readonly policy: CompiledPolicy
  readonly module: CompiledModule
  /** Defined roles that apply: tenant-wide first, then those held in the effective project; no repeats. */
  readonly roles: readonly CompiledRole[]
  readonly roleRefs: ReadonlySet<string>
  readonly flags: Bits
  /** The override on this module, with non-list `allow`/`deny` read as empty. */
  readonly override: ModuleOverride | undefined
  /** Per action index: set when the override denies the action (step 3); `undefined` when it denies none. */
  readonly overrideDenies: Bits | undefined
  /** Per action index: the override's `when` (see `candidateStanding`); `undefined` when it has none. */
  readonly overrideWhen: ReadonlyArray<CompiledCondition | undefined> | undefined
  readonly superRole: SuperRole | undefined
  /** Role grants (override applied), or the override's own grant when no role that applies has a grant on the module. */
  readonly grants: readonly CandidateGrant[]
  #fieldsByGranting: Map<number, FieldAccess> | undefined
  #aclFields: FieldAccess | undefined

  constructor (policy: CompiledPolicy, applied: AppliedRoles, module: CompiledModule, override: ModuleOverride | undefined) {
    this.policy = policy
    this.module = module
    this.roles = applied.roles
    this.roleRefs = applied.roleRefs
    this.flags = applied.flags
    this.override = override
    this.overrideDenies = override === undefined || listOf(override.deny).length === 0 ? undefined : actionBits(module, override.deny)
    this.overrideWhen = overrideConditions(module, override)
    this.superRole = findSuperRole(applied.roles, module.name)
    this.grants = candidateGrants(applied.roles, module, override)
    this.#fieldsByGranting = undefined
    this.#aclFields = undefined
  }

  /** Whether the override denies the action at `index` (step 3). */
  overrideDenied (index: number): boolean {
    return this.overrideDenies !== undefined && hasBit(this.overrideDenies, index)
  }

  /**
   * The fields (frozen, shared) under the grants whose bits are set in `mask`, bit `g`
   * standing for `grants[g]`. INVARIANT: `grants.length <= MAX_MASKED_GRANTS` and the
   * module declares fields.
   */
  fieldsOfGranting (mask: number): FieldAccess {
    const known = this.#fieldsByGranting?.get(mask)
    if (known !== undefined) return known
    const granting: CompiledGrant[] = []
    for (let g = 0; g < this.grants.length; g++) {
      if ((mask & (1 << g)) !== 0) granting.push((this.grants[g] as CandidateGrant).grant)
    }
    const fields = grantFields(this.module, granting, this.flags)
    this.#fieldsByGranting ??= new Map()
    if (this.#fieldsByGranting.size < MAX_REMEMBERED_FIELDS) this.#fieldsByGranting.set(mask, fields)
    return fields
  }

  /** The fields (frozen, shared) of a decision that a resource ACL allowed. INVARIANT: the module declares fields. */
  aclFields (): FieldAccess {
    this.#aclFields ??= aclFields(this.module, this.grants.filter(g => g.original !== undefined).map(g => g.grant), this.flags)
    return this.#aclFields
  }
}

/** The resource's project, else the nearest ancestor's. */
export function effectiveProject (resource: ResourceFacts, ancestors: readonly ResourceFacts[]): string | undefined {
  if (resource.project !== undefined) return resource.project
  for (const ancestor of ancestors) if (ancestor.project !== undefined) return ancestor.project
  return undefined
}

/** The roles that apply in `project` (tenant-wide ones when `undefined`) and the flags held there. */
export function applyRoles (policy: CompiledPolicy, subject: Subject, project: string | undefined): AppliedRoles {
  const roles = applicableRoles(policy, subject, project)
  return { roles, roleRefs: new Set(roles.map(r => `role:${r.name}`)), flags: heldFlags(policy, roles, subject) }
}

/** The subject's id, its aliases and `group:<g>` for each of its groups, in that order. */
export function subjectNames (subject: Subject): Set<string> {
  const names = new Set<string>([subject.id, ...listOf(subject.aliases)])
  for (const group of listOf(subject.groups)) names.add(`group:${group}`)
  return names
}

function applicableRoles (policy: CompiledPolicy, subject: Subject, project: string | undefined): CompiledRole[] {
  const names = [...listOf(subject.roles)]
  if (project !== undefined && isRecord(subject.projects)) names.push(...listOf(getOwn(subject.projects, project)))
  const roles: CompiledRole[] = []
  const seen = new Set<string>()
  for (const name of names) {
    const role = policy.roles.get(name)
    // A role name the policy does not define grants nothing.
    if (role === undefined || seen.has(name)) continue
    seen.add(name)
    roles.push(role)
  }
  return roles
}

/** The union of the roles' flags, then the override's `flags` set or clear declared flags. */
function heldFlags (policy: CompiledPolicy, roles: readonly CompiledRole[], subject: Subject): Bits {
  const flags = emptyBits(policy.flagCount)
  for (const role of roles) orInto(flags, role.flags)
  const changes = subject.overrides?.flags
  if (!isRecord(changes)) return flags
  for (const [flag, value] of Object.entries(changes)) {
    const i = policy.flagIndex.get(flag)
    if (i === undefined) continue
    if (value === true) setBit(flags, i)
    else if (value === false) clearBit(flags, i)
  }
  return flags
}

/**
 * The subject's overrides by module name, each with non-list `allow`/`deny` read as empty
 * and their non-string items dropped; entries that are not objects are no override.
 */
export function moduleOverrides (subject: Subject): Map<string, ModuleOverride> {
  const out = new Map<string, ModuleOverride>()
  const modules = subject.overrides?.modules
  if (!isRecord(modules)) return out
  for (const module of Object.getOwnPropertyNames(modules)) {
    const override = getOwn(modules, module)
    if (!isRecord(override)) continue
    const strings = (value: unknown): string[] => Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : []
    out.set(module, { ...override, allow: strings(override.allow), deny: strings(override.deny) })
  }
  return out
}

/**
 * The override's `when` per action index, `undefined` without one. A condition that is
 * not a string (a document that skipped validation) never holds.
 */
function overrideConditions (module: CompiledModule, override: ModuleOverride | undefined): Array<CompiledCondition | undefined> | undefined {
  const when: unknown = override?.when
  if (!isRecord(when) || Object.keys(when).length === 0) return undefined
  return module.actions.map(action => {
    const text = getOwn(when, action)
    if (text === undefined) return undefined
    return typeof text === 'string' ? module.conditions.onResource(text) : never(String(text))
  })
}

/** The actions of `module` named in `names` (unknown names ignored), as a bitset over its actions. */
function actionBits (module: CompiledModule, names: readonly string[] | undefined): Bits {
  const indexes: number[] = []
  for (const name of listOf(names)) {
    const i = module.actionIndex.get(name)
    if (i !== undefined) indexes.push(i)
  }
  return bitsOf(module.actions.length, indexes)
}

function findSuperRole (roles: readonly CompiledRole[], module: string): SuperRole | undefined {
  const all = roles.find(r => r.all)
  if (all !== undefined) return { code: 'role_all', role: all.name }
  const admin = roles.find(r => r.grants.get(module)?.admin === true)
  return admin === undefined ? undefined : { code: 'module_admin', role: admin.name }
}

/**
 * The grants that may grant on the module. With an override, each role grant is
 * recompiled with the override's `access` (replacing every per-action scope), `level`
 * and `allow` (added, and removed from `deny`); without a role grant, the override
 * stands as a grant of its own.
 */
function candidateGrants (roles: readonly CompiledRole[], module: CompiledModule, override: ModuleOverride | undefined): CandidateGrant[] {
  const grants: CandidateGrant[] = []
  for (const role of roles) {
    const grant = role.grants.get(module.name)
    if (grant === undefined) continue
    grants.push({ grant: override === undefined ? grant : withOverride(grant, module, override), original: grant })
  }
  if (grants.length > 0 || override === undefined) return grants
  const own: Grant = { access: override.access ?? 'none', allow: override.allow }
  if (override.level !== undefined) own.level = override.level
  return [{ grant: compileGrant('', module, own), original: undefined }]
}

function withOverride (grant: CompiledGrant, module: CompiledModule, override: ModuleOverride): CompiledGrant {
  const source = grant.source
  const allow = listOf(override.allow)
  const merged: Grant = {
    ...source,
    allow: [...listOf(source.allow), ...allow],
    deny: listOf(source.deny).filter(a => !allow.includes(a))
  }
  if (override.access !== undefined) {
    merged.access = override.access
    delete merged.scope
  }
  if (override.level !== undefined) merged.level = override.level
  return compileGrant(grant.role, module, merged)
}
