/**
 * Resource documents to `ResourceFacts` (DESIGN.md §2): AuthZEN `resource.properties`
 * sent inline, or the document of a stored resource. `project`, `parent` and `acl` are
 * reserved; every other property named after a relation of the module holds its values,
 * and one named after a declared attribute its value (checked against its type).
 */
import type { Checked, Issue } from './issues.js'
import { child, IssueSink, jsonType } from './issues.js'
import type { CompiledAttribute } from './attributes.js'
import { attributeValue } from './attributes.js'
import type { AclEntry, AttributeValue, ResourceFacts } from './model.js'
import type { CompiledModule, CompiledPolicy } from './policy.js'
import { expectObject, rejectUnknownKeys, stringList } from './shape.js'

const ACL_ENTRY_KEYS = ['who', 'allow', 'deny', 'when']

/** How strictly to read the properties. */
export interface ResourceOptions {
  /**
   * `true` for stored resources: an unknown module and any property that is neither
   * reserved nor a relation are issues. `false` for inline AuthZEN properties: other
   * properties are ignored, and an unknown module gives a resource without relations
   * (the decision then answers `module_unknown`).
   */
  strict: boolean
}

/**
 * Turns the properties of resource `id` of `module` into `ResourceFacts`, or every issue
 * (paths are JSON pointers into `properties`). Relation values become lists of strings.
 */
export function resourceFromProperties (
  policy: CompiledPolicy, module: string, id: string, properties: unknown, options: ResourceOptions
): { ok: true, resource: ResourceFacts } | { ok: false, issues: Issue[] } {
  const checked = checkResource(policy, module, id, properties, options)
  return checked.ok ? { ok: true, resource: checked.value } : checked
}

function checkResource (policy: CompiledPolicy, moduleName: string, id: string, properties: unknown, { strict }: ResourceOptions): Checked<ResourceFacts> {
  const sink = new IssueSink()
  const resource: ResourceFacts = { module: moduleName, id, relations: {} }
  const module = policy.modules.get(moduleName)
  if (module === undefined) {
    if (!strict) return { ok: true, value: resource }
    sink.add('', 'unknown_module', `unknown module \`${moduleName}\``)
    return { ok: false, issues: sink.issues }
  }
  const props = properties === undefined ? {} : expectObject(sink, properties, '', 'the resource properties')
  // Paths are built only for issues: inline properties are read on every decision that
  // sends them. Keys by index, not `Object.entries`: no pair array per property.
  let attributes: Record<string, AttributeValue> | undefined
  const object = props ?? {}
  const keys = Object.keys(object)
  for (let k = 0; k < keys.length; k++) {
    const key = keys[k] as string
    const value = object[key]
    if (key === 'project' || key === 'parent') {
      if (typeof value === 'string' && value !== '') resource[key] = value
      else sink.add(child('', key), 'invalid_type', `\`${key}\` must be a non-empty string, not ${jsonType(value)}`)
    } else if (key === 'acl') {
      resource.acl = checkAcl(sink, policy, module, value)
    } else if (module.relations.includes(key)) {
      const values = relationValues(sink, value, key)
      if (values !== undefined) resource.relations[key] = values
    } else if (module.attributes.has(key)) {
      const checked = attributeValue(sink, module.attributes.get(key) as CompiledAttribute, value, child('', key))
      // INVARIANT: attribute names are CEL identifiers, never `__proto__`.
      if (checked !== undefined) (attributes ??= {})[key] = checked
    } else if (strict) {
      sink.add(child('', key), 'unknown_property', `unknown property \`${key}\` in a resource of module \`${moduleName}\`: expected \`project\`, \`parent\`, \`acl\`, a relation or an attribute of the module`)
    }
  }
  if (attributes !== undefined) resource.attributes = attributes
  if (resource.parent === id) {
    sink.add('/parent', 'invalid_value', `resource \`${id}\` cannot be its own parent`)
  }
  return sink.issues.length > 0 ? { ok: false, issues: sink.issues } : { ok: true, value: resource }
}

/** A relation's value (property `relation`): a non-empty string or a list of them, as a list. */
function relationValues (sink: IssueSink, value: unknown, relation: string): string[] | undefined {
  if (typeof value === 'string' && value !== '') return [value]
  if (!Array.isArray(value)) {
    sink.add(child('', relation), 'invalid_type', `relation \`${relation}\` must be a non-empty string or a list of them, not ${jsonType(value)}`)
    return undefined
  }
  // A loop, not `forEach`: no closure per relation of every inline resource.
  const values: string[] = []
  for (let i = 0; i < value.length; i++) {
    const v: unknown = value[i]
    if (typeof v === 'string' && v !== '') values.push(v)
    else sink.add(child(child('', relation), i), 'invalid_type', `values of relation \`${relation}\` must be non-empty strings, not ${jsonType(v)}`)
  }
  return values
}

function checkAcl (sink: IssueSink, policy: CompiledPolicy, module: CompiledModule, value: unknown): AclEntry[] | undefined {
  if (!Array.isArray(value)) {
    sink.add('/acl', 'invalid_type', `\`acl\` must be a list, not ${jsonType(value)}`)
    return undefined
  }
  return value.flatMap((entry: unknown, i) => {
    const checked = checkAclEntry(sink, policy, module, entry, child('/acl', i))
    return checked === undefined ? [] : [checked]
  })
}

function checkAclEntry (sink: IssueSink, policy: CompiledPolicy, module: CompiledModule, value: unknown, path: string): AclEntry | undefined {
  const e = expectObject(sink, value, path, 'an ACL entry')
  if (e === undefined) return undefined
  rejectUnknownKeys(sink, e, ACL_ENTRY_KEYS, path, 'an ACL entry')
  const who = checkWho(sink, policy, e.who, child(path, 'who'))
  const action = (name: string, at: string): void => {
    if (!module.actionIndex.has(name)) sink.add(at, 'unknown_action', `unknown action \`${name}\` in module \`${module.name}\``)
  }
  const allow = e.allow === undefined ? undefined : stringList(sink, e.allow, child(path, 'allow'), '`allow` of an ACL entry', action)
  const deny = e.deny === undefined ? undefined : stringList(sink, e.deny, child(path, 'deny'), '`deny` of an ACL entry', action)
  const when = e.when === undefined ? undefined : aclCondition(sink, module, e.when, child(path, 'when'))
  if (who === undefined) return undefined
  const entry: AclEntry = { who }
  if (allow !== undefined) entry.allow = allow
  if (deny !== undefined) entry.deny = deny
  if (when !== undefined) entry.when = when
  return entry
}

/** An entry's `when`: a condition on the subject, the action and the context, never the resource. */
function aclCondition (sink: IssueSink, module: CompiledModule, value: unknown, path: string): string | undefined {
  if (typeof value !== 'string') {
    sink.add(path, 'invalid_type', `the condition of an ACL entry must be a string of CEL, not ${jsonType(value)}`)
    return undefined
  }
  const refusal = module.conditions.refusal(value, false)
  if (refusal === undefined) return value
  sink.add(path, 'invalid_condition', refusal)
  return undefined
}

/** An entry's `who`: a user id or alias, `group:<id>`, `role:<role>` naming a defined role, or `*`. */
function checkWho (sink: IssueSink, policy: CompiledPolicy, value: unknown, path: string): string | undefined {
  if (value === undefined) {
    sink.add(path, 'missing_property', 'an ACL entry lacks required property `who`')
    return undefined
  }
  if (typeof value !== 'string' || value === '' || value === 'group:' || value === 'role:') {
    sink.add(path, 'invalid_value', '`who` must be a user id or alias, `group:<id>`, `role:<role>` or `*`')
    return undefined
  }
  if (value.startsWith('role:') && !policy.roles.has(value.slice(5))) {
    sink.add(path, 'unknown_role', `unknown role \`${value.slice(5)}\` in an ACL entry`)
  }
  return value
}
