/**
 * Validation of a subject document against a policy (DESIGN.md §2): the shape, and
 * every role, flag, module, action and relation it names. Decisions tolerate unknown
 * names (they grant nothing); writes use these issues to refuse them.
 */
import type { ModuleDeclaration } from './bundle-check.js'
import { ModuleRefs } from './bundle-check.js'
import type { Issue } from './issues.js'
import { child, IssueSink, jsonType, show } from './issues.js'
import { attributeValue } from './attributes.js'
import type { Access, AttributeValue, Level, Subject } from './model.js'
import { LEVELS } from './model.js'
import type { CompiledModule, CompiledPolicy } from './policy.js'
import { expectObject, optionalBoolean, rejectUnknownKeys, stringList } from './shape.js'

const SUBJECT_KEYS = ['id', 'roles', 'aliases', 'projects', 'groups', 'status', 'login', 'owner', 'overrides', 'attributes']
const OVERRIDES_KEYS = ['flags', 'modules']
const MODULE_OVERRIDE_KEYS = ['access', 'level', 'allow', 'deny', 'when']

/**
 * Every issue of a subject document under `policy`; empty when it is valid. Paths are
 * JSON pointers into the subject document (`/projects/site-12/0`, `/overrides/modules/jobs/allow/1`).
 */
export function checkSubject (policy: CompiledPolicy, subject: Subject): Issue[] {
  const sink = new IssueSink()
  const s = expectObject(sink, subject, '', 'the subject')
  if (s === undefined) return sink.issues
  rejectUnknownKeys(sink, s, SUBJECT_KEYS, '', 'the subject')
  if (typeof s.id !== 'string' || s.id === '') sink.add('/id', 'invalid_type', 'the subject id must be a non-empty string')
  if (s.roles === undefined) sink.add('/roles', 'missing_property', 'the subject lacks required property `roles`')
  else roleList(sink, policy, s.roles, '/roles', 'the subject roles')
  if (s.projects !== undefined) checkProjects(sink, policy, s.projects)
  if (s.aliases !== undefined) stringList(sink, s.aliases, '/aliases', '`aliases`', nonEmpty(sink, 'alias'))
  if (s.groups !== undefined) stringList(sink, s.groups, '/groups', '`groups`', nonEmpty(sink, 'group'))
  if (s.status !== undefined && s.status !== 'active' && s.status !== 'inactive') {
    sink.add('/status', 'invalid_value', `invalid status ${show(s.status)}: expected \`active\` or \`inactive\``)
  }
  optionalBoolean(sink, s.login, '/login', '`login`')
  optionalBoolean(sink, s.owner, '/owner', '`owner`')
  if (s.overrides !== undefined) checkOverrides(sink, policy, s.overrides)
  if (s.attributes !== undefined) checkStoredAttributes(sink, policy, s.attributes)
  return sink.issues
}

/** A stored subject's `attributes`: every key a declared subject attribute, every value of its type. */
function checkStoredAttributes (sink: IssueSink, policy: CompiledPolicy, value: unknown): void {
  const attributes = expectObject(sink, value, '/attributes', '`attributes`')
  for (const [name, v] of Object.entries(attributes ?? {})) {
    const at = child('/attributes', name)
    const declared = policy.subjectAttributes.get(name)
    if (declared === undefined) sink.add(at, 'unknown_property', `unknown subject attribute \`${name}\`: the bundle's \`subject_attributes\` does not declare it`)
    else attributeValue(sink, declared, v, at)
  }
}

/**
 * A request's subject attributes from AuthZEN `subject.properties`: the declared subject
 * attributes it gives, each checked against its type (a wrong type is an issue at
 * `/<name>`); undeclared keys are ignored. The result goes into a request's
 * `subjectAttributes`, where it replaces the stored values of the same keys.
 */
export function subjectAttributesFromProperties (
  policy: CompiledPolicy, properties: unknown
): { ok: true, attributes: Record<string, AttributeValue> } | { ok: false, issues: Issue[] } {
  const sink = new IssueSink()
  const attributes: Record<string, AttributeValue> = {}
  const props = properties === undefined ? {} : expectObject(sink, properties, '', 'the subject properties')
  for (const [name, v] of Object.entries(props ?? {})) {
    const declared = policy.subjectAttributes.get(name)
    if (declared === undefined) continue
    const checked = attributeValue(sink, declared, v, child('', name))
    // INVARIANT: declared names are valid names, never `__proto__`.
    if (checked !== undefined) attributes[name] = checked
  }
  return sink.issues.length > 0 ? { ok: false, issues: sink.issues } : { ok: true, attributes }
}

const nonEmpty = (sink: IssueSink, kind: string) => (value: string, path: string): void => {
  if (value === '') sink.add(path, 'invalid_value', `an empty string is not a valid ${kind}`)
}

function roleList (sink: IssueSink, policy: CompiledPolicy, value: unknown, path: string, what: string, project?: string): void {
  stringList(sink, value, path, what, (role, at) => {
    if (policy.roles.has(role)) return
    sink.add(at, 'unknown_role', project === undefined ? `unknown role \`${role}\`` : `unknown role \`${role}\` in project \`${project}\``)
  })
}

function checkProjects (sink: IssueSink, policy: CompiledPolicy, value: unknown): void {
  const projects = expectObject(sink, value, '/projects', '`projects`')
  if (projects === undefined) return
  for (const [project, roles] of Object.entries(projects)) {
    roleList(sink, policy, roles, child('/projects', project), `the roles in project \`${project}\``, project)
  }
}

function checkOverrides (sink: IssueSink, policy: CompiledPolicy, value: unknown): void {
  const overrides = expectObject(sink, value, '/overrides', '`overrides`')
  if (overrides === undefined) return
  rejectUnknownKeys(sink, overrides, OVERRIDES_KEYS, '/overrides', '`overrides`')
  const flags = overrides.flags === undefined ? undefined : expectObject(sink, overrides.flags, '/overrides/flags', '`flags` of the overrides')
  for (const [flag, set] of Object.entries(flags ?? {})) {
    const at = child('/overrides/flags', flag)
    if (!policy.flagIndex.has(flag)) sink.add(at, 'unknown_flag', `unknown flag \`${flag}\` in the overrides`)
    optionalBoolean(sink, set, at, `the override of flag \`${flag}\``)
  }
  const modules = overrides.modules === undefined ? undefined : expectObject(sink, overrides.modules, '/overrides/modules', '`modules` of the overrides')
  for (const [name, override] of Object.entries(modules ?? {})) {
    const at = child('/overrides/modules', name)
    const module = policy.modules.get(name)
    if (module === undefined) sink.add(at, 'unknown_module', `unknown module \`${name}\` in the overrides`)
    checkModuleOverride(sink, override, at, name, module)
  }
}

function checkModuleOverride (sink: IssueSink, value: unknown, path: string, name: string, module: CompiledModule | undefined): void {
  const what = `the override on module \`${name}\``
  const override = expectObject(sink, value, path, what)
  if (override === undefined) return
  rejectUnknownKeys(sink, override, MODULE_OVERRIDE_KEYS, path, what)
  const ref = new ModuleRefs(sink, name, module === undefined ? undefined : declarationOf(module))
  if (override.access !== undefined) checkAccess(sink, override.access, child(path, 'access'), what, ref)
  if (override.level !== undefined) checkLevel(sink, override.level, child(path, 'level'), what)
  if (override.allow !== undefined) stringList(sink, override.allow, child(path, 'allow'), `\`allow\` of ${what}`, ref.action)
  if (override.deny !== undefined) stringList(sink, override.deny, child(path, 'deny'), `\`deny\` of ${what}`, ref.action)
  if (override.when !== undefined) checkOverrideConditions(sink, override.when, child(path, 'when'), what, ref, module)
}

/** An override's `when`: declared actions to conditions on the module's resources. */
function checkOverrideConditions (sink: IssueSink, value: unknown, path: string, what: string, ref: ModuleRefs, module: CompiledModule | undefined): void {
  const when = expectObject(sink, value, path, `\`when\` of ${what}`)
  for (const [action, text] of Object.entries(when ?? {})) {
    const at = child(path, action)
    ref.action(action, at)
    if (typeof text !== 'string') {
      sink.add(at, 'invalid_type', `the condition of \`${action}\` in ${what} must be a string of CEL, not ${jsonType(text)}`)
      continue
    }
    const refusal = module?.conditions.refusal(text, true)
    if (refusal !== undefined) sink.add(at, 'invalid_condition', `${refusal} (in \`${action}\` in ${what})`)
  }
}

function declarationOf (module: CompiledModule): ModuleDeclaration {
  return {
    actions: new Set(module.actions),
    relations: new Set(module.relations),
    assigned: module.assigned,
    fields: new Set(module.fields.map(f => f.name)),
    attributes: module.attributes
  }
}

/** A level, else an `invalid_level` issue. */
function checkLevel (sink: IssueSink, value: unknown, path: string, what: string): Level | undefined {
  if (LEVELS.includes(value as Level)) return value as Level
  sink.add(path, 'invalid_level', `invalid level ${show(value)} in ${what}: expected \`limited\`, \`management\` or \`full\``)
  return undefined
}

/**
 * An access value: `none`, `all`, `assigned` (only where the module's `assigned`
 * relations are not empty) or a list of declared relations.
 */
function checkAccess (sink: IssueSink, value: unknown, path: string, what: string, ref: ModuleRefs): Access | undefined {
  if (value === 'none' || value === 'all') return value
  if (value === 'assigned') {
    ref.assigned(path, what)
    return value
  }
  if (Array.isArray(value)) return stringList(sink, value, path, `the access of ${what}`, ref.relation)
  sink.add(path, 'invalid_access', `invalid access ${show(value)} in ${what}: expected \`none\`, \`assigned\`, \`all\` or a list of relations`)
  return undefined
}
