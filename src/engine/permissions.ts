/**
 * A subject's effective permissions as a matrix of modules x actions, for ops screens and
 * compliance reviews (issue 4): for each action, the scope it reaches (`all`, the
 * relations through which the subject reaches a resource, or `none`), the fields an
 * allowed action shows and lets edit, and where the answer comes from (the roles that
 * grant it, `owner`, or `custom` when the subject's overrides change it).
 *
 * Every cell is asked of `decide` itself, on witness resources (one with no relations,
 * then one per relation naming the subject), so the matrix cannot disagree with a
 * decision. Cells without a project are tenant-wide; each project the subject holds
 * roles in gets its own matrix, where those roles apply too. ACLs are per resource and
 * are not in the matrix.
 */
import { hasBit } from './bits.js'
import { applyRoles } from './context.js'
import { decide } from './decide.js'
import type { FieldAccess, ResourceFacts, Subject } from './model.js'
import { getOwn, isRecord, listOf } from './own.js'
import type { CompiledModule, CompiledPolicy } from './policy.js'

export interface PermissionCell {
  module: string
  action: string
  /** `all`, `none`, or the relations of the module through which the subject reaches a resource. */
  scope: 'all' | 'none' | string[]
  /** Roles (`<role>`, or `<project>:<role>` for a project role) that grant it alone, `owner`, and `custom` when overrides change it. */
  sources: string[]
  /** On a reached action of a module with fields: the fields shown and editable (on the widest reach). */
  fields?: FieldAccess
}

export interface PermissionMatrix {
  subject: string
  /** The flags the subject holds tenant-wide: from its roles, changed by its overrides. */
  flags: string[]
  cells: PermissionCell[]
  /** Per project the subject holds roles in: the matrix there. */
  projects: Record<string, { flags: string[], cells: PermissionCell[] }>
}

/** The matrix of `subject` under `policy`. Total: never throws on a compiled policy. */
export function permissionMatrix (policy: CompiledPolicy, subject: Subject): PermissionMatrix {
  const projects: PermissionMatrix['projects'] = {}
  const held = isRecord(subject.projects) ? subject.projects : {}
  for (const project of Object.keys(held).sort()) {
    if (listOf(getOwn(held, project)).length === 0) continue
    projects[project] = { flags: heldFlags(policy, subject, project), cells: cells(policy, subject, project) }
  }
  return { subject: subject.id, flags: heldFlags(policy, subject, undefined), cells: cells(policy, subject, undefined), projects }
}

function cells (policy: CompiledPolicy, subject: Subject, project: string | undefined): PermissionCell[] {
  const out: PermissionCell[] = []
  for (const module of policy.modules.values()) {
    for (const action of module.actions) out.push(cell(policy, subject, module, action, project))
  }
  return out
}

function cell (policy: CompiledPolicy, subject: Subject, module: CompiledModule, action: string, project: string | undefined): PermissionCell {
  const reach = reachOf(policy, subject, module, action, project)
  const result: PermissionCell = { module: module.name, action, scope: reach.scope, sources: [] }
  if (reach.fields !== undefined) result.fields = reach.fields
  const witness = reach.witness ?? witnessResources(module, subject, project)[0] as ResourceFacts
  const allows = (s: Subject): boolean => decide(policy, { subject: s, action, resource: witness }).allowed
  const allowed = reach.scope !== 'none'
  if (allowed && subject.owner === true) result.sources.push('owner')
  if (allowed) {
    // The subject's names kept, what grants (roles, projects, ownership, overrides) dropped.
    const { owner: _owner, overrides: _overrides, projects: _projects, ...names } = subject
    const bare: Subject = { ...names, roles: [] }
    for (const role of listOf(subject.roles)) {
      if (allows({ ...bare, roles: [role] })) result.sources.push(role)
    }
    if (project !== undefined && isRecord(subject.projects)) {
      for (const role of listOf(getOwn(subject.projects, project))) {
        if (allows({ ...bare, projects: { [project]: [role] } })) result.sources.push(`${project}:${role}`)
      }
    }
  }
  if (subject.overrides !== undefined) {
    const { overrides: _overrides, ...withoutOverrides } = subject
    if (allows(withoutOverrides) !== allowed) result.sources.push('custom')
  }
  return result
}

interface Reach {
  scope: PermissionCell['scope']
  fields?: FieldAccess
  /** The resource the widest reach was found on. */
  witness?: ResourceFacts
}

/** `all` when a resource naming no one is allowed, else the relations whose witness is. */
function reachOf (policy: CompiledPolicy, subject: Subject, module: CompiledModule, action: string, project: string | undefined): Reach {
  const [anyone, ...byRelation] = witnessResources(module, subject, project)
  const open = decide(policy, { subject, action, resource: anyone as ResourceFacts })
  if (open.allowed) return withFields({ scope: 'all', witness: anyone as ResourceFacts }, open.fields)
  const relations: string[] = []
  let first: Reach | undefined
  for (const [i, resource] of byRelation.entries()) {
    const d = decide(policy, { subject, action, resource })
    if (!d.allowed) continue
    relations.push(module.relations[i] as string)
    first ??= withFields({ scope: [], witness: resource }, d.fields)
  }
  if (first === undefined) return { scope: 'none' }
  return { ...first, scope: relations }
}

function withFields (reach: Reach, fields: FieldAccess | undefined): Reach {
  return fields === undefined ? reach : { ...reach, fields }
}

/** A resource of the module naming no one, then one per relation naming the subject. */
function witnessResources (module: CompiledModule, subject: Subject, project: string | undefined): ResourceFacts[] {
  // An id no stored resource can have: the matrix is about the module, not a resource.
  const base = (relations: Record<string, string[]>): ResourceFacts =>
    project === undefined ? { module: module.name, id: '\u0000matrix', relations } : { module: module.name, id: '\u0000matrix', project, relations }
  return [base({}), ...module.relations.map(relation => base({ [relation]: [subject.id] }))]
}

/** The flags held in `project` (tenant-wide when `undefined`), as the decisions compute them. */
function heldFlags (policy: CompiledPolicy, subject: Subject, project: string | undefined): string[] {
  const { flags } = applyRoles(policy, subject, project)
  return [...policy.flagIndex].filter(([, i]) => hasBit(flags, i)).map(([flag]) => flag).sort()
}
