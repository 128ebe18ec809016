/**
 * What a decision knows once the subject, the module and the resource are fixed: the
 * roles that apply, the flags held, the names the subject answers to, its override on
 * the module and the grants that may grant (ADR 0001). Built once per request, then
 * shared by every action checked on that resource.
 */
import type { Bits } from './bits.js'
import { clearBit, emptyBits, orInto, setBit } from './bits.js'
import { compileGrant } from './compile.js'
import type { Grant, ModuleOverride, ResourceFacts, Subject } from './model.js'
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

/** Everything a decision on one resource reads, computed once (see `buildContext`). */
export interface DecisionContext {
  policy: CompiledPolicy
  subject: Subject
  module: CompiledModule
  resource: ResourceFacts
  ancestors: readonly ResourceFacts[]
  /** Defined roles that apply: tenant-wide first, then those held in the effective project; no repeats. */
  roles: readonly CompiledRole[]
  flags: Bits
  /** The subject's id, its aliases and `group:<g>` for each of its groups: what relation values name it as. */
  names: ReadonlySet<string>
  /** The override on this module, with non-list `allow`/`deny` read as empty. */
  override: ModuleOverride | undefined
  superRole: SuperRole | undefined
  /** Role grants (override applied), or the override's own grant when no role that applies has a grant on the module. */
  grants: readonly CandidateGrant[]
}

/** The resource's project, else the nearest ancestor's. */
export function effectiveProject (resource: ResourceFacts, ancestors: readonly ResourceFacts[]): string | undefined {
  if (resource.project !== undefined) return resource.project
  return ancestors.find(a => a.project !== undefined)?.project
}

/** Builds the context of one (subject, module, resource). */
export function buildContext (
  policy: CompiledPolicy, subject: Subject, module: CompiledModule,
  resource: ResourceFacts, ancestors: readonly ResourceFacts[]
): DecisionContext {
  const roles = applicableRoles(policy, subject, effectiveProject(resource, ancestors))
  const override = moduleOverride(subject, module.name)
  return {
    policy,
    subject,
    module,
    resource,
    ancestors,
    roles,
    flags: heldFlags(policy, roles, subject),
    names: subjectNames(subject),
    override,
    superRole: findSuperRole(roles, module.name),
    grants: candidateGrants(roles, module, override)
  }
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

function subjectNames (subject: Subject): Set<string> {
  const names = new Set<string>([subject.id, ...listOf(subject.aliases)])
  for (const group of listOf(subject.groups)) names.add(`group:${group}`)
  return names
}

function moduleOverride (subject: Subject, module: string): ModuleOverride | undefined {
  const modules = subject.overrides?.modules
  const override = isRecord(modules) ? getOwn(modules, module) : undefined
  if (!isRecord(override)) return undefined
  const strings = (value: unknown): string[] => Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : []
  return { ...override, allow: strings(override.allow), deny: strings(override.deny) }
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
