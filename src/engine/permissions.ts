/**
 * A subject's effective permissions as a matrix of modules x actions, for ops screens and
 * compliance reviews (issue 4): for each action, the scope it reaches (`all`, the
 * relations through which the subject reaches a resource, or `none`), the fields an
 * allowed action shows and lets edit, and where the answer comes from (the roles that
 * grant it on that whole scope, `owner`, or `custom` when the subject's overrides change it).
 *
 * Every cell is read from the engine's `actionAccess` (the ways the subject's grants reach
 * resources, as search plans and the policy diff read them), so the matrix cannot
 * disagree with a decision; an action granted under a condition shows the condition
 * (`when`), as the policy diff does. Fields are asked of `decide` on a witness resource
 * of the widest reach (one with no relations, or one naming the subject). Cells without a
 * project are tenant-wide; each project the subject holds roles in gets its own matrix,
 * where those roles apply too. ACLs are per resource and are not in the matrix.
 */
import type { AccessScope, ActionAccess, ActionReach } from './access.js'
import { actionAccess, reachCovers, reachOf, sameReach } from './access.js'
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
  /**
   * The condition (CEL) the resources of `scope` must meet, when the action is granted
   * under conditions (on the action, a grant or an override): as the policy diff writes it.
   */
  when?: string
  /**
   * On a reached action of a module with fields: the fields shown and editable (on the
   * widest reach). Absent on a cell with `when`: they depend on which grant's condition
   * holds, which only a check on a resource tells.
   */
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
  const accessOf = (s: Subject): ActionAccess => actionAccess(policy, s, module.name, project, action)
  const reach = reachOf(accessOf(subject))
  if (!reach.allowed) {
    const result: PermissionCell = { module: module.name, action, scope: 'none', sources: [] }
    if (changedByOverrides(subject, reach, accessOf)) result.sources.push('custom')
    return result
  }
  const result: PermissionCell = { module: module.name, action, scope: reach.scope.kind === 'all' ? 'all' : reach.scope.relations, sources: [] }
  if (reach.when !== undefined) {
    result.when = reach.when
  } else {
    const fields = decide(policy, { subject, action, resource: widestWitness(module, subject, project, reach.scope) }).fields
    if (fields !== undefined) result.fields = fields
  }
  if (subject.owner === true) result.sources.push('owner')
  // The subject's names kept, what grants (roles, projects, ownership, overrides) dropped.
  const { owner: _owner, overrides: _overrides, projects: _projects, ...names } = subject
  const bare: Subject = { ...names, roles: [] }
  // A source reaches, alone, the cell's whole scope.
  const grantsAlone = (s: Subject): boolean => reachCovers(reachOf(accessOf(s)), reach)
  for (const role of listOf(subject.roles)) {
    if (grantsAlone({ ...bare, roles: [role] })) result.sources.push(role)
  }
  if (project !== undefined && isRecord(subject.projects)) {
    for (const role of listOf(getOwn(subject.projects, project))) {
      if (grantsAlone({ ...bare, projects: { [project]: [role] } })) result.sources.push(`${project}:${role}`)
    }
  }
  if (changedByOverrides(subject, reach, accessOf)) result.sources.push('custom')
  return result
}

/** Whether the subject's overrides change what it reaches, or under which condition. */
function changedByOverrides (subject: Subject, reach: ActionReach, accessOf: (s: Subject) => ActionAccess): boolean {
  if (subject.overrides === undefined) return false
  const { overrides: _overrides, ...withoutOverrides } = subject
  return !sameReach(reach, reachOf(accessOf(withoutOverrides)))
}

/** The resource the widest reach is found on: one naming no one for `all`, else one naming the subject in the module's first relation of the scope. */
function widestWitness (module: CompiledModule, subject: Subject, project: string | undefined, scope: AccessScope): ResourceFacts {
  const [anyone, ...byRelation] = witnessResources(module, subject, project)
  if (scope.kind === 'all') return anyone as ResourceFacts
  return byRelation[module.relations.findIndex(r => scope.relations.includes(r))] as ResourceFacts
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
