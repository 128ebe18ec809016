/**
 * Resource documents to `ResourceFacts` (DESIGN.md §2): AuthZEN `resource.properties`
 * sent inline, or the document of a stored resource. `project`, `parent` and `acl` are
 * reserved; every other property named after a relation of the module holds its values,
 * and one named after a declared attribute its value (checked against its type).
 */
import { inDocumentOrder } from './format-check.js'
import type { Checked, Issue } from './issues.js'
import { child, IssueSink, jsonType } from './issues.js'
import type { CompiledAttribute } from './attributes.js'
import { attributeValue } from './attributes.js'
import type { AclEntry, AttributeValue, ResourceFacts } from './model.js'
import { isRecord } from './own.js'
import type { CompiledModule, CompiledPolicy } from './policy.js'
import { eachName } from './references.js'
import { aclFormat } from './resource-format.js'

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
  // Read by hand, not by a format (but `acl`): which keys are relations and attributes is
  // the policy's. Paths are built only for issues: inline properties are read on every
  // decision that sends them. Keys by index, not `Object.entries`: no pair array per property.
  if (properties !== undefined && !isRecord(properties)) {
    sink.add('', 'invalid_type', `the resource properties must be an object, not ${jsonType(properties)}`)
    return { ok: false, issues: sink.issues }
  }
  let attributes: Record<string, AttributeValue> | undefined
  const object = properties ?? {}
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

/** An `acl`: its structure is its format's; what its entries name (roles, actions, conditions) is checked against the module. */
function checkAcl (sink: IssueSink, policy: CompiledPolicy, module: CompiledModule, value: unknown): AclEntry[] | undefined {
  const structure = aclFormat.check(value)
  const issues = structure.ok ? [] : structure.issues
  const refs = new IssueSink()
  const action = (name: string, at: string): void => {
    if (!module.actionIndex.has(name)) refs.add(at, 'unknown_action', `unknown action \`${name}\` in module \`${module.name}\``)
  }
  // Read leniently: what is malformed is the structure's issue.
  if (Array.isArray(value)) {
    value.forEach((entry: unknown, i) => {
      if (!isRecord(entry)) return
      const at = child('', i)
      const { who, when } = entry
      if (typeof who === 'string' && who.startsWith('role:') && who !== 'role:' && !policy.roles.has(who.slice(5))) {
        refs.add(child(at, 'who'), 'unknown_role', `unknown role \`${who.slice(5)}\` in an ACL entry`)
      }
      eachName(entry.allow, child(at, 'allow'), action)
      eachName(entry.deny, child(at, 'deny'), action)
      // An entry's `when` is a condition on the subject, the action and the context, never the resource.
      const refusal = typeof when === 'string' ? module.conditions.refusal(when, false) : undefined
      if (refusal !== undefined) refs.add(child(at, 'when'), 'invalid_condition', refusal)
    })
  }
  const all = refs.issues.length === 0 ? issues : inDocumentOrder(value, [...issues, ...refs.issues])
  for (const issue of all) sink.add(`/acl${issue.path}`, issue.code, issue.message)
  return structure.ok ? structure.value : undefined
}
