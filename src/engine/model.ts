/**
 * The gatehouse model (DESIGN.md §1, §2) as data: what a bundle, a subject and a
 * resource look like once parsed, and what a decision says. These are the wire
 * shapes, before compilation; `compile.ts` turns a `Bundle` into a `CompiledPolicy`.
 */
import type { CompiledSubject } from './compiled-subject.js'
import type { AclEntry } from './resource-format.js'
import type { AttributeValue, Subject } from './subject-format.js'

/**
 * The bundle's types come from its one definition (bundle-format.ts), which also gives
 * its validation and its documented JSON Schema.
 */
export type {
  Access, ActionDef, AttributeDef, Bundle, FieldDef, FieldMode, Grant, Level, ModuleDef, RoleDef, UserAdmin, UserAdminRule
} from './bundle-format.js'
export { FIELD_MODES, LEVELS } from './bundle-format.js'

export type { AttributeType } from './plan-format.js'

/**
 * The subject document's types come from its one definition (subject-format.ts), which
 * also gives its structural validation and its documented JSON Schema.
 */
export type { AttributeValue, ModuleOverride, Overrides, Subject, SubjectStatus } from './subject-format.js'

/** The resource document's ACL entries come from their one definition (resource-format.ts). */
export type { AclEntry } from './resource-format.js'

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
