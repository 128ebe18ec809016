/**
 * Policy impact analysis (docs/policy-diff.md): which (role, module, action) permissions,
 * which field modes and, for given subjects, which permissions change when one policy
 * replaces another. Pure (no files, database or network): shared by `gatehouse diff` and
 * the HTTP route `POST /v1/tenants/{tenant}/policy/diff`.
 */
export type { CompiledPolicy, Subject } from '../../engine/index.js'
export { DiffTooLarge, diffPolicies } from './diff.js'
export { DIFF_FORMATS, describePermission, describeReach, describeRoleScope, formatDiff, formatDiffMarkdown, formatDiffText } from './format.js'
export type { DiffFormat, DiffLabels } from './format.js'
export { DIFF_ISSUE_CODES, loadBundleSource, loadBundleText, loadSubjectsText, loadSubjectsValue, locateBundleIssues } from './load.js'
export type { BundleLoadResult, DiffIssue, SubjectsLoadResult } from './load.js'
export { roleFieldMode, rolePermission } from '../../engine/index.js'
export { subjectReach } from './subject-reach.js'
export { policyDiffJsonSchema } from './schema.js'
export type {
  ActionDefinition, ActionRef, DeclaredNames, DefinitionChange, DiffOptions, DiffSummary, FieldChange, FieldDefinition, FieldRef,
  ModuleDefinition, PermissionChange, PermissionChangeKind, PolicyDiff, RoleDefinition, RolePermission, RoleScope, SubjectChange,
  SubjectChangeKind, SubjectImpact, SubjectReach
} from './types.js'
