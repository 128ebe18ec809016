/**
 * The gatehouse model (DESIGN.md §1, §2) as data: what a bundle, a subject and a
 * resource look like once parsed, and what a decision says. These are the wire
 * shapes, before compilation; `compile.ts` turns a `Bundle` into a `CompiledPolicy`.
 */
import type { CompiledSubject } from './compiled-subject.js'

/** Permission levels, weakest first: an action needing `management` is granted by `management` and `full`. */
export const LEVELS = ['limited', 'management', 'full'] as const
export type Level = typeof LEVELS[number]

export const FIELD_MODES = ['hidden', 'read', 'edit'] as const
export type FieldMode = typeof FIELD_MODES[number]

/**
 * Which resources of a module a grant reaches: none, those assigned to the subject
 * (through the module's `assigned` relations), all of them, or those where the subject
 * (or one of its groups) appears in one of the listed relations.
 */
export type Access = 'none' | 'assigned' | 'all' | string[]

export interface ActionDef {
  level: Level
  flags?: string[]
  description?: string
  /**
   * A CEL condition that must hold for anyone to do the action, owner included
   * (DESIGN.md §1, step 1): a rule about the resource's state.
   */
  when?: string
}

/**
 * A declared attribute's type, as a bundle writes it: `string`, `number`, `boolean`,
 * `timestamp` (an RFC 3339 string), `[string]` (a list of strings) or `{ enum: [...] }`.
 */
export type AttributeDef = 'string' | 'number' | 'boolean' | 'timestamp' | ['string'] | { enum: string[] }

export type { AttributeType } from './plan-format.js'

/** An attribute's value: timestamps are kept as their RFC 3339 string. */
export type AttributeValue = string | number | boolean | readonly string[]

export interface FieldDef {
  flags?: string[]
  description?: string
}

export interface ModuleDef {
  description?: string
  /** Resource properties that name users or groups. */
  relations?: string[]
  /** The relations that access `assigned` means; default: every relation. */
  assigned?: string[]
  /**
   * Typed properties of the module's resources that conditions read; names differ from
   * relations and from `project`, `parent`, `acl` and `id`.
   */
  attributes?: Record<string, AttributeDef>
  actions: Record<string, ActionDef>
  fields?: Record<string, FieldDef>
}

/** A role's permissions on one module. */
export interface Grant {
  /** Default `none`, except that an `admin` grant needs none. */
  access?: Access
  /** Actions whose level is within this one are granted; absent: only `allow` actions are. */
  level?: Level
  allow?: string[]
  deny?: string[]
  /** Per-action access that replaces `access` for that action. */
  scope?: Record<string, Access>
  fields?: Record<string, FieldMode>
  /** Every action on every resource of the module, ignoring levels, flags and ACLs. */
  admin?: boolean
  /** Per action, a CEL condition: the grant grants that action only where it holds. */
  when?: Record<string, string>
}

export interface RoleDef {
  description?: string
  /** Only holders of a protected role may change holders of one. */
  protected?: boolean
  /**
   * The role's definition may change only by a whole-bundle import: the role routes
   * refuse to edit it, or to edit a module or flag in a way that changes what it grants.
   */
  fixed?: boolean
  /** Every action of every module, as `admin` does for one. */
  all?: boolean
  flags?: string[]
  modules?: Record<string, Grant>
}

/**
 * Which module, and which of its actions, an acting user needs to create, change or
 * delete a subject (`Gatehouse-Actor`, actor.ts). Each list: any one of its actions.
 */
export interface UserAdminRule {
  module: string
  create: string[]
  edit: string[]
  delete: string[]
  /**
   * A `[string]` attribute of the module that conditions read as the target's roles: the
   * acting-user check gives it the subject's roles (tenant-wide and per project; as they
   * are after the write for a creation, before it otherwise).
   */
  roles_attribute?: string
}

/**
 * User administration (top-level `user_admin`): `by_role` names the rule of the subjects
 * holding a role (tenant-wide or in a project); the other subjects, and those also
 * holding a role `by_role` does not name, fall under the top-level rule. Absent: module
 * `users`, actions `create`, `edit`, `delete`.
 */
export interface UserAdmin extends UserAdminRule {
  by_role?: Record<string, UserAdminRule>
}

export interface Bundle {
  version: 1
  /** Flag name to its description. */
  flags?: Record<string, string>
  /** The typed attributes a subject may carry (stored under `attributes`, or per request). */
  subject_attributes?: Record<string, AttributeDef>
  modules: Record<string, ModuleDef>
  roles: Record<string, RoleDef>
  user_admin?: UserAdmin
}

/** A per-user change on one module, on top of the role grants. */
export interface ModuleOverride {
  access?: Access
  level?: Level
  allow?: string[]
  deny?: string[]
  /**
   * Per action, a CEL condition restricting what the override itself grants (its `allow`
   * and its access/level) to where the condition holds.
   */
  when?: Record<string, string>
}

export interface Overrides {
  /** `true` sets a flag, `false` clears it, after the union over the roles. */
  flags?: Record<string, boolean>
  modules?: Record<string, ModuleOverride>
}

export type SubjectStatus = 'active' | 'inactive'

/** A user as stored (DESIGN.md §2). */
export interface Subject {
  id: string
  roles: string[]
  /** Other names of the same person (an identity provider's opaque id, an e-mail). */
  aliases?: string[]
  /** Project id to the roles held in that project. */
  projects?: Record<string, string[]>
  groups?: string[]
  /** Default `active`. */
  status?: SubjectStatus
  /** `false` for resources that are assignable but cannot act; default `true`. */
  login?: boolean
  owner?: boolean
  overrides?: Overrides
  /** Values of the bundle's `subject_attributes`. */
  attributes?: Record<string, AttributeValue>
}

/** One ACL entry; `who` is a user id or alias, `group:<id>`, `role:<id>` or `*`. */
export interface AclEntry {
  who: string
  allow?: string[]
  deny?: string[]
  /**
   * A CEL condition on the subject, the action's properties and the context (never the
   * resource's attributes): the entry matches only where it holds.
   */
  when?: string
}

/**
 * What the engine knows of a resource: sent inline or stored. `relations` holds, per
 * relation name, the user ids, aliases or `group:<id>` values.
 */
export interface ResourceFacts {
  module: string
  id: string
  project?: string
  parent?: string
  relations: Record<string, string[]>
  acl?: AclEntry[]
  /** Values of the module's declared attributes. */
  attributes?: Readonly<Record<string, AttributeValue>>
}

/** What a request tells conditions besides subject and resource: the request-side inputs of a decision or a plan. */
export interface ConditionInputs {
  /** AuthZEN `action.properties`: what conditions read as `action.<property>` (untyped). */
  actionProperties?: Readonly<Record<string, unknown>>
  /** AuthZEN `context`: what conditions read as `context.<key>` (untyped). */
  context?: Readonly<Record<string, unknown>>
  /**
   * The request's subject attributes (AuthZEN `subject.properties`, validated by
   * `subjectAttributesFromProperties`): they replace the stored subject's values of the same keys.
   */
  subjectAttributes?: Readonly<Record<string, AttributeValue>>
}

export interface DecisionRequest extends ConditionInputs {
  /**
   * `undefined` when no stored subject has that id or alias. A `CompiledSubject` (see
   * `compileSubject`) decides exactly as its subject does, without recomputing what does
   * not depend on the resource; one compiled for another policy is compiled again.
   */
  subject: Subject | CompiledSubject | undefined
  /** The id or alias the request named; only read to name an unknown subject in the reason. */
  subjectId?: string
  action: string
  resource: ResourceFacts
  /**
   * The resource's ancestors through `parent`, nearest first, as far as the service
   * could resolve them. The engine reads them for ACL inheritance and for the project
   * of a resource that names none.
   */
  ancestors?: readonly ResourceFacts[]
}

/**
 * Which fields of an allowed resource the subject may see and change. The lists of a
 * decision may be shared between decisions and are frozen: copy them to change them.
 */
export interface FieldAccess {
  readonly visible: readonly string[]
  readonly editable: readonly string[]
}
