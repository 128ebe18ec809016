/**
 * The bundle validator, the only one (the CLI and the HTTP layer both feed it parsed
 * YAML or JSON). The structure (types, unknown keys, names, enums, duplicates) is the
 * bundle's one definition, bundle-format.ts; what is written here is only what a schema
 * cannot say: cross-references (an undeclared flag, module, action, relation, field or
 * role; `assigned` reaching nothing; an attribute named like a relation) and conditions.
 * It reports all issues in document order, and on success returns the bundle normalized:
 * defaults dropped, properties in a fixed order, so that an exported bundle is the same
 * whoever wrote it.
 */
import type { Environment } from '@marcbachmann/cel-js'
import type { CompiledAttribute } from './attributes.js'
import { checkAttributeClash, compileAttributes, RESOURCE_RESERVED, SUBJECT_RESERVED } from './attributes.js'
import { attributeDefFormat, bundleFormat } from './bundle-format.js'
import type { ConditionScope } from './condition.js'
import { celEnvironment, compileCondition } from './condition.js'
import { inDocumentOrder } from './format-check.js'
import type { AttributeDef, Bundle } from './model.js'
import type { Checked } from './issues.js'
import { child, IssueSink } from './issues.js'
import { isRecord } from './own.js'
import { eachName, entries } from './references.js'
import { checkUserAdminReferences } from './user-admin.js'

/** What a module declares, collected before the full walk so that any reference can be checked. */
export interface ModuleDeclaration {
  actions: ReadonlySet<string>
  relations: ReadonlySet<string>
  /** The relations `access: assigned` means: `assigned` as written, else every relation. */
  assigned: readonly string[]
  fields: ReadonlySet<string>
  /** The well-formed attribute declarations: what conditions on the module may read. */
  attributes: ReadonlyMap<string, CompiledAttribute>
}

/** The names a bundle declares. */
export interface Declarations {
  flags: ReadonlySet<string>
  modules: ReadonlyMap<string, ModuleDeclaration>
  /** The well-formed subject attribute declarations. */
  subjectAttributes: ReadonlyMap<string, CompiledAttribute>
  /** Compiles the conditions of the bundle, one cel-js environment per scope. */
  conditions: ConditionChecker
}

const keysOf = (value: unknown): string[] => isRecord(value) ? Object.keys(value) : []
const stringsOf = (value: unknown): string[] => Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : []

/** Collects declared names leniently: a malformed declaration still declares its name, so references to it are not reported twice. */
function collectDeclarations (root: Record<string, unknown>): Declarations {
  const modules = new Map<string, ModuleDeclaration>()
  const moduleDefs = isRecord(root.modules) ? root.modules : {}
  for (const name of Object.keys(moduleDefs)) {
    const def = moduleDefs[name]
    const m = isRecord(def) ? def : {}
    const relations = stringsOf(m.relations)
    modules.set(name, {
      actions: new Set(keysOf(m.actions)),
      relations: new Set(relations),
      assigned: Array.isArray(m.assigned) ? stringsOf(m.assigned) : relations,
      fields: new Set(keysOf(m.fields)),
      attributes: wellFormedAttributes(m.attributes)
    })
  }
  const subjectAttributes = wellFormedAttributes(root.subject_attributes)
  return { flags: new Set(keysOf(root.flags)), modules, subjectAttributes, conditions: new ConditionChecker(subjectAttributes) }
}

/** The attribute declarations of `value` that are well formed (the others are reported where they stand). */
function wellFormedAttributes (value: unknown): ReadonlyMap<string, CompiledAttribute> {
  const defs: Record<string, AttributeDef> = {}
  for (const [name, def] of entries(value)) {
    const checked = attributeDefFormat.check(def)
    if (checked.ok && name !== '__proto__') defs[name] = checked.value
  }
  return compileAttributes(defs)
}

/** Compiles conditions, reusing one cel-js environment per module (and one for ACL-like scopes). */
export class ConditionChecker {
  readonly #environments = new Map<ModuleDeclaration, { scope: ConditionScope, env: Environment }>()

  constructor (private readonly subjectAttributes: ReadonlyMap<string, CompiledAttribute>) {}

  /** Reports a `when` at `path` that is not an acceptable condition on `module`. */
  check (sink: IssueSink, value: string, path: string, what: string, module: ModuleDeclaration): void {
    let known = this.#environments.get(module)
    if (known === undefined) {
      const scope: ConditionScope = {
        resource: { attributes: module.attributes, relations: [...module.relations] },
        readsResource: true,
        subjectAttributes: this.subjectAttributes
      }
      known = { scope, env: celEnvironment(scope) }
      this.#environments.set(module, known)
    }
    const result = compileCondition(value, known.scope, known.env)
    if (!result.ok) sink.add(path, 'invalid_condition', `${result.message} (in ${what})`)
  }
}

/**
 * Validates a bundle. Returns the normalized bundle, or every issue found (paths are
 * JSON pointers into `input`), in the order of the document.
 */
export function checkBundle (input: unknown): Checked<Bundle> {
  const structure = bundleFormat.check(input)
  // The format's root is an object: anything else is refused there, and names nothing.
  if (!isRecord(input)) return structure
  const sink = new IssueSink()
  checkReferences(sink, input)
  if (sink.issues.length === 0) return structure
  return { ok: false, issues: inDocumentOrder(input, [...(structure.ok ? [] : structure.issues), ...sink.issues]) }
}

/** The cross-references of the whole bundle, read leniently: what is malformed is the structure's issue. */
function checkReferences (sink: IssueSink, root: Record<string, unknown>): void {
  const decl = collectDeclarations(root)
  const flag = (what: string) => (name: string, at: string): void => {
    if (!decl.flags.has(name)) sink.add(at, 'unknown_flag', `unknown flag \`${name}\` in ${what}`)
  }
  for (const [name] of entries(root.subject_attributes)) {
    checkAttributeClash(sink, name, child('/subject_attributes', name), [], SUBJECT_RESERVED, 'subject attributes')
  }
  for (const [name, def] of entries(root.modules)) {
    const path = child('/modules', name)
    if (!isRecord(def)) continue
    // INVARIANT: every module of the bundle is declared.
    const module = decl.modules.get(name) as ModuleDeclaration
    const relations = Array.isArray(def.relations) ? def.relations : undefined
    eachName(def.assigned, child(path, 'assigned'), (r, at) => {
      // A malformed `relations` is reported once, not once per `assigned` entry.
      if (relations !== undefined && !relations.includes(r)) sink.add(at, 'unknown_relation', `unknown relation \`${r}\` in module \`${name}\``)
    })
    for (const [attribute] of entries(def.attributes)) {
      checkAttributeClash(sink, attribute, child(child(path, 'attributes'), attribute), relations ?? [], RESOURCE_RESERVED, `module \`${name}\``)
    }
    for (const [action, a] of entries(def.actions)) {
      if (!isRecord(a)) continue
      const at = child(child(path, 'actions'), action)
      const what = `action \`${action}\` of module \`${name}\``
      eachName(a.flags, child(at, 'flags'), flag(what))
      if (typeof a.when === 'string') decl.conditions.check(sink, a.when, child(at, 'when'), what, module)
    }
    for (const [field, f] of entries(def.fields)) {
      if (isRecord(f)) eachName(f.flags, child(child(child(path, 'fields'), field), 'flags'), flag(`field \`${field}\` of module \`${name}\``))
    }
  }
  for (const [role, def] of entries(root.roles)) {
    if (!isRecord(def)) continue
    const path = child('/roles', role)
    eachName(def.flags, child(path, 'flags'), flag(`role \`${role}\``))
    for (const [moduleName, grant] of entries(def.modules)) {
      const at = child(child(path, 'modules'), moduleName)
      const module = decl.modules.get(moduleName)
      if (module === undefined) sink.add(at, 'unknown_module', `unknown module \`${moduleName}\` in role \`${role}\``)
      if (isRecord(grant)) checkGrantReferences(sink, grant, at, `the grant of role \`${role}\` on module \`${moduleName}\``, new ModuleRefs(sink, moduleName, module), module, decl.conditions)
    }
  }
  checkUserAdminReferences(sink, root.user_admin, decl, new Set(Object.keys(isRecord(root.roles) ? root.roles : {})))
}

/** What a role's grant names: actions, relations and fields of its module, and conditions on it. */
function checkGrantReferences (
  sink: IssueSink, grant: Record<string, unknown>, path: string, what: string, ref: ModuleRefs, module: ModuleDeclaration | undefined, conditions: ConditionChecker
): void {
  accessReferences(grant.access, child(path, 'access'), what, ref)
  eachName(grant.allow, child(path, 'allow'), ref.action)
  eachName(grant.deny, child(path, 'deny'), ref.action)
  for (const [action, access] of entries(grant.scope)) {
    const at = child(child(path, 'scope'), action)
    ref.action(action, at)
    accessReferences(access, at, `the scope of \`${action}\` in ${what}`, ref)
  }
  for (const [field] of entries(grant.fields)) ref.field(field, child(child(path, 'fields'), field))
  checkWhenReferences(sink, grant.when, child(path, 'when'), what, ref, module, conditions)
  if (grant.admin === true && grant.when !== undefined) {
    sink.add(child(path, 'when'), 'invalid_condition', `${what} is \`admin\`, which grants every action everywhere: put the condition on the action's \`when\` or on a grant without \`admin\``)
  }
}

/** An access value's references: `assigned` must reach a relation, a list must name declared relations. */
function accessReferences (value: unknown, path: string, what: string, ref: ModuleRefs): void {
  if (value === 'assigned') ref.assigned(path, what)
  else eachName(value, path, ref.relation)
}

/**
 * A `when` map (a grant's): declared actions to conditions on the module. `module`
 * undefined: the module is not declared, and its conditions cannot be read.
 */
function checkWhenReferences (
  sink: IssueSink, value: unknown, path: string, what: string, ref: ModuleRefs, module: ModuleDeclaration | undefined, conditions: ConditionChecker
): void {
  for (const [action, condition] of entries(value)) {
    const at = child(path, action)
    ref.action(action, at)
    if (module !== undefined && typeof condition === 'string') conditions.check(sink, condition, at, `\`${action}\` in ${what}`, module)
  }
}

/**
 * Checks references to one module's actions, relations and fields. When the module is
 * not declared, nothing is checked: the unknown module is reported once, where it is named.
 */
export class ModuleRefs {
  constructor (
    private readonly sink: IssueSink,
    private readonly name: string,
    private readonly module: ModuleDeclaration | undefined
  ) {}

  /** Reports an action the module does not declare. */
  readonly action = (action: string, path: string): void => {
    if (this.module !== undefined && !this.module.actions.has(action)) {
      this.sink.add(path, 'unknown_action', `unknown action \`${action}\` in module \`${this.name}\``)
    }
  }

  /** Reports a relation the module does not declare. */
  readonly relation = (relation: string, path: string): void => {
    if (this.module !== undefined && !this.module.relations.has(relation)) {
      this.sink.add(path, 'unknown_relation', `unknown relation \`${relation}\` in module \`${this.name}\``)
    }
  }

  /** Reports a field the module does not declare. */
  readonly field = (field: string, path: string): void => {
    if (this.module !== undefined && !this.module.fields.has(field)) {
      this.sink.add(path, 'unknown_field', `unknown field \`${field}\` in module \`${this.name}\``)
    }
  }

  /** Reports access `assigned` where the module's `assigned` relations are empty. */
  readonly assigned = (path: string, what: string): void => {
    if (this.module !== undefined && this.module.assigned.length === 0) {
      const why = this.module.relations.size === 0 ? 'declares no relations' : 'has an empty `assigned` list'
      this.sink.add(path, 'assigned_without_relations', `access \`assigned\` in ${what} reaches nothing: module \`${this.name}\` ${why}`)
    }
  }
}
