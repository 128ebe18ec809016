/**
 * The shapes of a policy impact report (docs/policy-diff.md): what changes between two
 * bundles, role by role, field by field, and for given subjects. Shared by
 * `gatehouse diff` and the HTTP route `POST /v1/tenants/{tenant}/policy/diff`; the JSON
 * output of both is exactly `PolicyDiff`.
 */
import type { FieldMode, RolePermission, RoleScope, Subject } from '../../engine/index.js'

/** A role's permission on one action and the resources it reaches: the engine's role view (`rolePermission`), documented there. */
export type { RolePermission, RoleScope }

/** `gained`: not granted before, granted after; `lost`: the reverse; `changed`: granted on both sides with another scope or flags. */
export type PermissionChangeKind = 'gained' | 'lost' | 'changed'

export interface PermissionChange {
  role: string
  module: string
  action: string
  change: PermissionChangeKind
  before: RolePermission
  after: RolePermission
}

/**
 * A field's mode under one role: its grant's `fields` entry, else `edit` at level
 * `management` or `full` and `read` below; `hidden` when the role lacks one of the field's
 * flags, has no grant on the module, or the field does not exist; `edit` under `admin`
 * and `all: true`.
 */
export interface FieldChange {
  role: string
  module: string
  field: string
  before: FieldMode
  after: FieldMode
}

export interface ActionRef {
  module: string
  action: string
}

export interface FieldRef {
  module: string
  field: string
}

/** Names declared on one side only. Actions and fields are listed for modules on both sides. */
export interface DeclaredNames {
  flags: string[]
  modules: string[]
  actions: ActionRef[]
  fields: FieldRef[]
  roles: string[]
}

/** A declaration present on both sides whose meaning changed (descriptions are not compared). */
export type DefinitionChange =
  | { kind: 'action', module: string, action: string, before: ActionDefinition, after: ActionDefinition }
  | { kind: 'field', module: string, field: string, before: FieldDefinition, after: FieldDefinition }
  | { kind: 'module', module: string, before: ModuleDefinition, after: ModuleDefinition }
  | { kind: 'role', role: string, before: RoleDefinition, after: RoleDefinition }

export interface ActionDefinition {
  level: string
  flags: string[]
  /** The action's `when` (for everyone, owner included); absent without one. */
  when?: string
}

export interface FieldDefinition {
  flags: string[]
}

export interface ModuleDefinition {
  relations: string[]
  /** The relations that access `assigned` means, resolved (default: every relation). */
  assigned: string[]
}

export interface RoleDefinition {
  all: boolean
  protected: boolean
  flags: string[]
}

/**
 * Which resources a subject may do an action on, whatever else the resource holds (no ACL):
 * `all` of them, or those where it (or one of its groups) appears in one of `relations`;
 * with `when`, only those of them where that CEL condition holds (the conditions of the
 * action, the grants and the override, as written: they read the resource and the
 * request; a relation that only some of the ways reach reads `subject.id in
 * resource.<relation>`). `custom`: a per-user override grants it or widens it (DESIGN.md
 * §1: overrides are marked as custom).
 */
export type SubjectReach =
  | { allowed: false }
  | { allowed: true, scope: { kind: 'all' } | { kind: 'relations', relations: string[] }, custom: boolean, when?: string }

/**
 * `gained`, `lost`, `changed` (another scope) as for roles; `unchanged` only in a
 * project entry: the tenant-wide change does not happen in that project (its project
 * roles keep the permission as it was).
 */
export type SubjectChangeKind = 'gained' | 'lost' | 'changed' | 'unchanged'

export interface SubjectChange {
  module: string
  action: string
  change: SubjectChangeKind
  before: SubjectReach
  after: SubjectReach
}

/**
 * What one subject gains or loses. `changes`: on resources of no project where it holds
 * roles (its tenant-wide roles). `projects`: per project where it holds roles, the
 * (module, action) pairs whose change there differs from `changes` (through its project
 * roles); projects without such a pair are left out. Overrides are applied.
 */
export interface SubjectImpact {
  subject: string
  changes: SubjectChange[]
  projects: Array<{ project: string, changes: SubjectChange[] }>
}

export interface DiffSummary {
  permissions: { gained: number, lost: number, changed: number }
  fields: number
  /** Names added or removed, and definitions changed. */
  declarations: number
  /** Present when subjects were given. */
  subjects?: { checked: number, affected: number }
}

/**
 * The impact of replacing one policy by another. Every list is in a fixed order: roles,
 * modules, flags, subjects and projects by name; actions in the module's declaration
 * order (the new policy's, then those only the old one declares); fields by name.
 */
export interface PolicyDiff {
  /** Whether anything below is not empty: the CLI exits 1 when it is. */
  changed: boolean
  summary: DiffSummary
  added: DeclaredNames
  removed: DeclaredNames
  definitions: DefinitionChange[]
  permissions: PermissionChange[]
  fields: FieldChange[]
  /** Present when subjects were given: the subjects that gain or lose something. */
  subjects?: SubjectImpact[]
}

export interface DiffOptions {
  /** Subjects to report on (validate them first with `loadSubjectsText` / `loadSubjectsValue`). */
  subjects?: readonly Subject[]
  /**
   * A bound on the subjects' part of the work: modules compared, summed over the distinct
   * subject profiles (and projects) met. Past it, `diffPolicies` throws `DiffTooLarge`.
   * None by default (the CLI); the API sets one, since it diffs on the event loop.
   */
  maxProfileModules?: number
}
