/**
 * Validation of a subject document against a policy (DESIGN.md §2). Its structure is its
 * one definition's (subject-format.ts); what is written here is what a schema cannot say:
 * every role, flag, module, action and relation it names, and its attributes against the
 * bundle's `subject_attributes`. Decisions tolerate unknown names (they grant nothing);
 * writes use these issues to refuse them.
 */
import type { ModuleDeclaration } from './bundle-check.js'
import { ModuleRefs } from './bundle-check.js'
import { inDocumentOrder } from './format-check.js'
import type { Issue } from './issues.js'
import { child, IssueSink } from './issues.js'
import { attributeValue } from './attributes.js'
import type { AttributeValue, Subject } from './model.js'
import { isRecord } from './own.js'
import type { CompiledModule, CompiledPolicy } from './policy.js'
import { eachName, entries } from './references.js'
import { subjectFormat, subjectPropertiesFormat } from './subject-format.js'

/**
 * Every issue of a subject document under `policy`, in document order; empty when it is
 * valid. Paths are JSON pointers into the subject document (`/projects/site-12/0`,
 * `/overrides/modules/jobs/allow/1`).
 */
export function checkSubject (policy: CompiledPolicy, subject: Subject): Issue[] {
  const structure = subjectFormat.check(subject)
  const issues = structure.ok ? [] : structure.issues
  // The format's root is an object: anything else is refused there, and names nothing.
  if (!isRecord(subject)) return issues
  const sink = new IssueSink()
  checkReferences(sink, policy, subject)
  return sink.issues.length === 0 ? issues : inDocumentOrder(subject, [...issues, ...sink.issues])
}

/**
 * What the subject names, read leniently: what is malformed is the structure's issue.
 * Paths are built only for an issue (subjects are checked on every directory write).
 */
function checkReferences (sink: IssueSink, policy: CompiledPolicy, s: Record<string, unknown>): void {
  unknownRoles(sink, policy, s.roles, '/roles', undefined)
  if (isRecord(s.projects)) {
    for (const project in s.projects) unknownRoles(sink, policy, s.projects[project], child('/projects', project), project)
  }
  const overrides = isRecord(s.overrides) ? s.overrides : undefined
  if (overrides !== undefined && isRecord(overrides.flags)) {
    for (const flag in overrides.flags) {
      if (!policy.flagIndex.has(flag)) sink.add(child('/overrides/flags', flag), 'unknown_flag', `unknown flag \`${flag}\` in the overrides`)
    }
  }
  if (overrides !== undefined && isRecord(overrides.modules)) {
    for (const name in overrides.modules) {
      const at = child('/overrides/modules', name)
      const module = policy.modules.get(name)
      if (module === undefined) sink.add(at, 'unknown_module', `unknown module \`${name}\` in the overrides`)
      const override = overrides.modules[name]
      if (isRecord(override)) checkModuleOverride(sink, override, at, name, module)
    }
  }
  if (isRecord(s.attributes)) {
    for (const name in s.attributes) {
      const at = child('/attributes', name)
      const declared = policy.subjectAttributes.get(name)
      if (declared === undefined) sink.add(at, 'unknown_property', `unknown subject attribute \`${name}\`: the bundle's \`subject_attributes\` does not declare it`)
      else attributeValue(sink, declared, s.attributes[name], at)
    }
  }
}

/** The first occurrence of every string of `value` (a list of roles as written) that the policy does not declare. */
function unknownRoles (sink: IssueSink, policy: CompiledPolicy, value: unknown, path: string, project: string | undefined): void {
  if (!Array.isArray(value)) return
  for (let i = 0; i < value.length; i++) {
    const role: unknown = value[i]
    if (typeof role !== 'string' || policy.roles.has(role) || value.indexOf(role) !== i) continue
    sink.add(child(path, i), 'unknown_role', project === undefined ? `unknown role \`${role}\`` : `unknown role \`${role}\` in project \`${project}\``)
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
  if (properties !== undefined) {
    const structure = subjectPropertiesFormat.check(properties)
    if (!structure.ok) return structure
  }
  const sink = new IssueSink()
  const attributes: Record<string, AttributeValue> = {}
  for (const [name, v] of entries(properties)) {
    const declared = policy.subjectAttributes.get(name)
    if (declared === undefined) continue
    const checked = attributeValue(sink, declared, v, child('', name))
    // INVARIANT: declared names are valid names, never `__proto__`.
    if (checked !== undefined) attributes[name] = checked
  }
  return sink.issues.length > 0 ? { ok: false, issues: sink.issues } : { ok: true, attributes }
}

/** An override's references: actions and relations of its module, `assigned` reaching something, conditions it can read. */
function checkModuleOverride (sink: IssueSink, override: Record<string, unknown>, path: string, name: string, module: CompiledModule | undefined): void {
  const what = `the override on module \`${name}\``
  const ref = new ModuleRefs(sink, name, module === undefined ? undefined : declarationOf(module))
  const access = child(path, 'access')
  if (override.access === 'assigned') ref.assigned(access, what)
  else eachName(override.access, access, ref.relation)
  eachName(override.allow, child(path, 'allow'), ref.action)
  eachName(override.deny, child(path, 'deny'), ref.action)
  for (const [action, text] of entries(override.when)) {
    const at = child(child(path, 'when'), action)
    ref.action(action, at)
    if (typeof text !== 'string') continue
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
