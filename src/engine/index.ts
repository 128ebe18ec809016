/**
 * The engine's public surface: other layers import from here (and types from
 * `model.ts` and `reasons.ts`), never from the other files of this folder.
 */
export type {
  AclEntry, Access, ActionDef, AttributeDef, AttributeType, AttributeValue, Bundle, ConditionInputs, DecisionRequest,
  FieldAccess, FieldDef, FieldMode, Grant, Level, ModuleDef, ModuleOverride, Overrides, ResourceFacts, RoleDef, Subject,
  SubjectStatus
} from './model.js'
export { FIELD_MODES, LEVELS } from './model.js'
export type { Decision, Reason, ReasonCode } from './reasons.js'
export { REASON_CODES } from './reasons.js'
export type { Issue, IssueCode } from './issues.js'
export { ISSUE_CODES, child, jsonType, show } from './issues.js'
export { deepFreeze, isRecord, jsonSafe } from './own.js'
export { NAME_PATTERN, NAME_REGEXP, isName } from './names.js'
// The compiled form is the engine's own: other layers hold a policy as a handle and read
// it through the functions below (decisions, plans, the policy view), never its grants or bitsets.
export type { CompiledModule, CompiledPolicy } from './policy.js'
export { compileBundle, exportBundle } from './compile.js'
export { bundleJsonSchema } from './bundle-format.js'
// The one shape toolkit, for the formats other layers define (the policy-test suite).
export type { Format, FormatOptions, IssueNote } from './format-check.js'
export { defineFormat, documentedSchema, inDocumentOrder } from './format-check.js'
export { subjectJsonSchema } from './subject-format.js'
export { aclJsonSchema } from './resource-format.js'
export { allowedActions, decide } from './decide.js'
export type { CompiledSubject, SubjectRefusal } from './compiled-subject.js'
export { compileSubject } from './compiled-subject.js'
export { checkSubject, subjectAttributesFromProperties } from './subject.js'
export type { ResourceOptions } from './resource.js'
export { resourceFromProperties } from './resource.js'
export { aclHolder } from './acl.js'
export { effectiveProject } from './context.js'
export type { AttributeComparison, Filter, PlanResource, QueryPlan, SearchFacts } from './plan.js'
export { MAX_ANCESTOR_DEPTH, filterJsonSchema, matchesPlan, planSearch, queryPlanJsonSchema } from './plan.js'
export type {
  ActionDeclaration, FieldDeclaration, ModuleDeclaration, PolicyDeclarations, RoleDeclaration, RolePermission, RoleScope
} from './policy-view.js'
export { moduleDeclaration, policyDeclarations, roleFieldMode, rolePermission } from './policy-view.js'
export type { AccessScope, AccessWay, ActionAccess, ActionReach } from './access.js'
export { actionAccess, reachOf, sameReach } from './access.js'
export type { PermissionCell, PermissionMatrix } from './permissions.js'
export { permissionMatrix } from './permissions.js'
export type { SubjectChange, SubjectChangeRefusal, SubjectChangeRefusalCode, SubjectWrite } from './actor.js'
export { USERS_MODULE, checkSubjectChange } from './actor.js'
