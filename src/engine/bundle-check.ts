/**
 * The bundle validator: the only one (the CLI and the HTTP layer both feed it parsed
 * YAML or JSON). It checks shapes, names and every cross-reference, reports all issues,
 * and on success returns the bundle normalized: defaults dropped, properties in a fixed
 * order, so that an exported bundle is the same whoever wrote it.
 */
import type { Environment } from '@marcbachmann/cel-js'
import type { CompiledAttribute } from './attributes.js'
import { checkAttributeDef, checkAttributeName, compileAttributes, RESOURCE_RESERVED, SUBJECT_RESERVED } from './attributes.js'
import type { ConditionScope } from './condition.js'
import { celEnvironment, compileCondition } from './condition.js'
import type { Access, ActionDef, AttributeDef, Bundle, FieldDef, FieldMode, Grant, Level, ModuleDef, RoleDef } from './model.js'
import { FIELD_MODES, LEVELS } from './model.js'
import type { Checked } from './issues.js'
import { child, IssueSink, jsonType, show } from './issues.js'
import { isRecord } from './own.js'
import { checkName, expectObject, optionalBoolean, optionalString, rejectUnknownKeys, stringList } from './shape.js'

const BUNDLE_KEYS = ['version', 'flags', 'subject_attributes', 'modules', 'roles']
const MODULE_KEYS = ['description', 'relations', 'assigned', 'attributes', 'actions', 'fields']
const ACTION_KEYS = ['description', 'level', 'flags', 'when']
const FIELD_KEYS = ['description', 'flags']
const ROLE_KEYS = ['description', 'protected', 'all', 'flags', 'modules']
const GRANT_KEYS = ['admin', 'access', 'level', 'allow', 'deny', 'scope', 'fields', 'when']

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
  const quiet = new IssueSink()
  for (const [name, def] of Object.entries(isRecord(value) ? value : {})) {
    const checked = checkAttributeDef(quiet, def, '', '')
    if (checked !== undefined && name !== '__proto__') defs[name] = checked
  }
  return compileAttributes(defs)
}

/** Compiles conditions, reusing one cel-js environment per module (and one for ACL-like scopes). */
export class ConditionChecker {
  readonly #environments = new Map<ModuleDeclaration, { scope: ConditionScope, env: Environment }>()

  constructor (private readonly subjectAttributes: ReadonlyMap<string, CompiledAttribute>) {}

  /** Reports a `when` at `path` that is not a string or not an acceptable condition on `module`. */
  check (sink: IssueSink, value: unknown, path: string, what: string, module: ModuleDeclaration): string | undefined {
    if (typeof value !== 'string') {
      sink.add(path, 'invalid_type', `the condition of ${what} must be a string of CEL, not ${jsonType(value)}`)
      return undefined
    }
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
    if (result.ok) return value
    sink.add(path, 'invalid_condition', `${result.message} (in ${what})`)
    return undefined
  }
}

/**
 * Validates a bundle. Returns the normalized bundle, or every issue found (paths are
 * JSON pointers into `input`).
 */
export function checkBundle (input: unknown): Checked<Bundle> {
  const sink = new IssueSink()
  const root = expectObject(sink, input, '', 'the bundle')
  if (root === undefined) return { ok: false, issues: sink.issues }
  rejectUnknownKeys(sink, root, BUNDLE_KEYS, '', 'the bundle')
  checkVersion(sink, root)
  const decl = collectDeclarations(root)
  const flags = checkFlags(sink, root.flags)
  const subjectAttributes = root.subject_attributes === undefined
    ? undefined
    : checkAttributes(sink, root.subject_attributes, '/subject_attributes', 'subject attributes', [], SUBJECT_RESERVED)
  const modules = requiredMap(sink, root, 'modules', (value, path, name) => checkModule(sink, value, path, name, decl))
  const roles = requiredMap(sink, root, 'roles', (value, path, name) => checkRole(sink, value, path, name, decl))
  if (sink.issues.length > 0 || modules === undefined || roles === undefined) return { ok: false, issues: sink.issues }
  return {
    ok: true,
    value: ordered<Bundle>(
      { version: 1, flags: nonEmptyMap(flags), subject_attributes: nonEmptyMap(subjectAttributes), modules, roles },
      ['version', 'flags', 'subject_attributes', 'modules', 'roles']
    )
  }
}

/** A map of attribute declarations: names readable by conditions and not in `relations` or `reserved`, types well formed. */
function checkAttributes (
  sink: IssueSink, value: unknown, path: string, what: string, relations: readonly string[], reserved: readonly string[]
): Record<string, AttributeDef> | undefined {
  return mapOf(sink, value, path, `\`${path.split('/').at(-1) as string}\` of ${what}`, 'attribute', (def, at, name) => {
    checkAttributeName(sink, name, at, relations, reserved, what)
    return checkAttributeDef(sink, def, at, `attribute \`${name}\``)
  })
}

function checkVersion (sink: IssueSink, root: Record<string, unknown>): void {
  if (root.version === undefined) {
    sink.add('/version', 'missing_property', 'the bundle lacks required property `version`')
  } else if (root.version !== 1) {
    sink.add('/version', 'unsupported_version', `unsupported bundle version ${show(root.version)}; expected \`1\``)
  }
}

function checkFlags (sink: IssueSink, value: unknown): Record<string, string> | undefined {
  if (value === undefined) return undefined
  return mapOf(sink, value, '/flags', '`flags`', 'flag', (description, path, name) => {
    if (typeof description === 'string') return description
    sink.add(path, 'invalid_type', `the description of flag \`${name}\` must be a string`)
    return undefined
  })
}

/** A required top-level map (`modules`, `roles`), each entry checked by `entry`. */
function requiredMap<T> (
  sink: IssueSink, root: Record<string, unknown>, key: 'modules' | 'roles',
  entry: (value: unknown, path: string, name: string) => T | undefined
): Record<string, T> | undefined {
  if (root[key] === undefined) {
    sink.add(`/${key}`, 'missing_property', `the bundle lacks required property \`${key}\``)
    return undefined
  }
  return mapOf(sink, root[key], `/${key}`, `\`${key}\``, key === 'modules' ? 'module' : 'role', entry)
}

/** An object whose keys are names of `kind` and whose values `entry` checks; `undefined` when it is not an object. */
function mapOf<T> (
  sink: IssueSink, value: unknown, path: string, what: string, kind: string,
  entry: (value: unknown, path: string, name: string) => T | undefined
): Record<string, T> | undefined {
  const object = expectObject(sink, value, path, what)
  if (object === undefined) return undefined
  const out: Record<string, T> = {}
  for (const [name, v] of Object.entries(object)) {
    const at = child(path, name)
    checkName(sink, name, at, kind)
    const checked = entry(v, at, name)
    // INVARIANT: a `__proto__` key is an invalid name, so an object it corrupts here never leaves the validator.
    if (checked !== undefined) out[name] = checked
  }
  return out
}

function checkModule (sink: IssueSink, value: unknown, path: string, name: string, decl: Declarations): ModuleDef | undefined {
  const what = `module \`${name}\``
  const m = expectObject(sink, value, path, what)
  if (m === undefined) return undefined
  rejectUnknownKeys(sink, m, MODULE_KEYS, path, what)
  const description = optionalString(sink, m.description, child(path, 'description'), `the description of ${what}`)
  const relations = m.relations === undefined
    ? []
    : stringList(sink, m.relations, child(path, 'relations'), `\`relations\` of ${what}`, (r, at) => checkName(sink, r, at, 'relation'))
  const assigned = m.assigned === undefined
    ? undefined
    : stringList(sink, m.assigned, child(path, 'assigned'), `\`assigned\` of ${what}`, (r, at) => {
      // A malformed `relations` is reported once, not once per `assigned` entry.
      if (relations !== undefined && !relations.includes(r)) sink.add(at, 'unknown_relation', `unknown relation \`${r}\` in module \`${name}\``)
    })
  const attributes = m.attributes === undefined
    ? undefined
    : checkAttributes(sink, m.attributes, child(path, 'attributes'), what, relations ?? [], RESOURCE_RESERVED)
  let actions: Record<string, ActionDef> | undefined
  if (m.actions === undefined) {
    sink.add(child(path, 'actions'), 'missing_property', `${what} lacks required property \`actions\``)
  } else {
    actions = mapOf(sink, m.actions, child(path, 'actions'), `\`actions\` of ${what}`, 'action',
      (v, at, action) => checkAction(sink, v, at, name, action, decl))
  }
  const fields = m.fields === undefined
    ? undefined
    : mapOf(sink, m.fields, child(path, 'fields'), `\`fields\` of ${what}`, 'field',
      (v, at, field) => checkField(sink, v, at, name, field, decl))
  if (actions === undefined) return undefined
  return ordered<ModuleDef>(
    { description, relations: nonEmpty(relations), assigned, attributes: nonEmptyMap(attributes), actions, fields: nonEmptyMap(fields) },
    ['description', 'relations', 'assigned', 'attributes', 'actions', 'fields']
  )
}

function checkAction (sink: IssueSink, value: unknown, path: string, module: string, name: string, decl: Declarations): ActionDef | undefined {
  const what = `action \`${name}\` of module \`${module}\``
  const a = expectObject(sink, value, path, what)
  if (a === undefined) return undefined
  rejectUnknownKeys(sink, a, ACTION_KEYS, path, what)
  const description = optionalString(sink, a.description, child(path, 'description'), `the description of ${what}`)
  const flags = flagList(sink, a.flags, child(path, 'flags'), what, decl)
  // INVARIANT: every module of the bundle is declared.
  const when = a.when === undefined ? undefined : decl.conditions.check(sink, a.when, child(path, 'when'), what, decl.modules.get(module) as ModuleDeclaration)
  if (a.level === undefined) {
    sink.add(child(path, 'level'), 'missing_property', `${what} lacks required property \`level\``)
    return undefined
  }
  const level = checkLevel(sink, a.level, child(path, 'level'), what)
  if (level === undefined) return undefined
  return ordered<ActionDef>({ description, level, flags: nonEmpty(flags), when }, ['description', 'level', 'flags', 'when'])
}

function checkField (sink: IssueSink, value: unknown, path: string, module: string, name: string, decl: Declarations): FieldDef | undefined {
  const what = `field \`${name}\` of module \`${module}\``
  const f = expectObject(sink, value, path, what)
  if (f === undefined) return undefined
  rejectUnknownKeys(sink, f, FIELD_KEYS, path, what)
  const description = optionalString(sink, f.description, child(path, 'description'), `the description of ${what}`)
  const flags = flagList(sink, f.flags, child(path, 'flags'), what, decl)
  return ordered<FieldDef>({ description, flags: nonEmpty(flags) }, ['description', 'flags'])
}

/** An optional list of declared flags. */
function flagList (sink: IssueSink, value: unknown, path: string, what: string, decl: Declarations): string[] | undefined {
  if (value === undefined) return undefined
  return stringList(sink, value, path, `\`flags\` of ${what}`, (flag, at) => {
    if (!decl.flags.has(flag)) sink.add(at, 'unknown_flag', `unknown flag \`${flag}\` in ${what}`)
  })
}

/** A level, else an `invalid_level` issue. */
export function checkLevel (sink: IssueSink, value: unknown, path: string, what: string): Level | undefined {
  if (LEVELS.includes(value as Level)) return value as Level
  sink.add(path, 'invalid_level', `invalid level ${show(value)} in ${what}: expected \`limited\`, \`management\` or \`full\``)
  return undefined
}

function checkRole (sink: IssueSink, value: unknown, path: string, name: string, decl: Declarations): RoleDef | undefined {
  const what = `role \`${name}\``
  const r = expectObject(sink, value, path, what)
  if (r === undefined) return undefined
  rejectUnknownKeys(sink, r, ROLE_KEYS, path, what)
  const description = optionalString(sink, r.description, child(path, 'description'), `the description of ${what}`)
  const protectedRole = optionalBoolean(sink, r.protected, child(path, 'protected'), `\`protected\` of ${what}`)
  const all = optionalBoolean(sink, r.all, child(path, 'all'), `\`all\` of ${what}`)
  const flags = flagList(sink, r.flags, child(path, 'flags'), what, decl)
  const modules = r.modules === undefined
    ? undefined
    : mapOf(sink, r.modules, child(path, 'modules'), `\`modules\` of ${what}`, 'module', (v, at, module) => {
      const declared = decl.modules.get(module)
      if (declared === undefined) sink.add(at, 'unknown_module', `unknown module \`${module}\` in role \`${name}\``)
      return checkGrant(sink, v, at, name, module, declared, decl.conditions)
    })
  return ordered<RoleDef>({
    description,
    protected: protectedRole === true ? true : undefined,
    all: all === true ? true : undefined,
    flags: nonEmpty(flags),
    modules: nonEmptyMap(modules)
  }, ['description', 'protected', 'all', 'flags', 'modules'])
}

/** A role's grant on one module; `module` is `undefined` when the module is not declared (references are then not checked). */
function checkGrant (
  sink: IssueSink, value: unknown, path: string, role: string, moduleName: string, module: ModuleDeclaration | undefined, conditions: ConditionChecker
): Grant | undefined {
  const what = `the grant of role \`${role}\` on module \`${moduleName}\``
  const g = expectObject(sink, value, path, what)
  if (g === undefined) return undefined
  rejectUnknownKeys(sink, g, GRANT_KEYS, path, what)
  const ref = new ModuleRefs(sink, moduleName, module)
  const admin = optionalBoolean(sink, g.admin, child(path, 'admin'), `\`admin\` of ${what}`)
  const access = g.access === undefined ? undefined : checkAccess(sink, g.access, child(path, 'access'), what, ref)
  const level = g.level === undefined ? undefined : checkLevel(sink, g.level, child(path, 'level'), what)
  const allow = g.allow === undefined ? undefined : stringList(sink, g.allow, child(path, 'allow'), `\`allow\` of ${what}`, ref.action)
  const deny = g.deny === undefined ? undefined : stringList(sink, g.deny, child(path, 'deny'), `\`deny\` of ${what}`, ref.action)
  const scope = g.scope === undefined ? undefined : checkScope(sink, g.scope, child(path, 'scope'), what, ref)
  const fields = g.fields === undefined ? undefined : checkFieldModes(sink, g.fields, child(path, 'fields'), what, ref)
  const when = g.when === undefined ? undefined : checkWhenMap(sink, g.when, child(path, 'when'), what, ref, module, conditions)
  if (admin === true && g.when !== undefined) {
    sink.add(child(path, 'when'), 'invalid_condition', `${what} is \`admin\`, which grants every action everywhere: put the condition on the action's \`when\` or on a grant without \`admin\``)
  }
  return ordered<Grant>({
    admin: admin === true ? true : undefined,
    access: access === 'none' ? undefined : access,
    level,
    allow: nonEmpty(allow),
    deny: nonEmpty(deny),
    scope: nonEmptyMap(scope),
    fields: nonEmptyMap(fields),
    when: nonEmptyMap(when)
  }, ['admin', 'access', 'level', 'allow', 'deny', 'scope', 'fields', 'when'])
}

/**
 * A `when` map (a grant's or an override's): declared actions to conditions on the
 * module. `module` undefined: the module is not declared, and only shapes are checked.
 */
export function checkWhenMap (
  sink: IssueSink, value: unknown, path: string, what: string, ref: ModuleRefs, module: ModuleDeclaration | undefined, conditions: ConditionChecker
): Record<string, string> | undefined {
  const map = expectObject(sink, value, path, `\`when\` of ${what}`)
  if (map === undefined) return undefined
  const out: Record<string, string> = {}
  for (const [action, condition] of Object.entries(map)) {
    const at = child(path, action)
    ref.action(action, at)
    const checked = module === undefined ? undefined : conditions.check(sink, condition, at, `\`${action}\` in ${what}`, module)
    // INVARIANT: `__proto__` is no declared action, so it was reported and never set here.
    if (checked !== undefined && action !== '__proto__') out[action] = checked
  }
  return out
}

function checkScope (sink: IssueSink, value: unknown, path: string, what: string, ref: ModuleRefs): Record<string, Access> | undefined {
  const scope = expectObject(sink, value, path, `\`scope\` of ${what}`)
  if (scope === undefined) return undefined
  const out: Record<string, Access> = {}
  for (const [action, access] of Object.entries(scope)) {
    const at = child(path, action)
    ref.action(action, at)
    const checked = checkAccess(sink, access, at, `the scope of \`${action}\` in ${what}`, ref)
    if (checked !== undefined) out[action] = checked
  }
  return out
}

function checkFieldModes (sink: IssueSink, value: unknown, path: string, what: string, ref: ModuleRefs): Record<string, FieldMode> | undefined {
  const fields = expectObject(sink, value, path, `\`fields\` of ${what}`)
  if (fields === undefined) return undefined
  const out: Record<string, FieldMode> = {}
  for (const [field, mode] of Object.entries(fields)) {
    const at = child(path, field)
    ref.field(field, at)
    if (FIELD_MODES.includes(mode as FieldMode)) {
      out[field] = mode as FieldMode
    } else {
      sink.add(at, 'invalid_field_mode', `invalid mode ${show(mode)} for field \`${field}\` in ${what}: expected \`hidden\`, \`read\` or \`edit\``)
    }
  }
  return out
}

/**
 * An access value: `none`, `all`, `assigned` (only where the module's `assigned`
 * relations are not empty) or a list of declared relations.
 */
export function checkAccess (sink: IssueSink, value: unknown, path: string, what: string, ref: ModuleRefs): Access | undefined {
  if (value === 'none' || value === 'all') return value
  if (value === 'assigned') {
    ref.assigned(path, what)
    return value
  }
  if (Array.isArray(value)) return stringList(sink, value, path, `the access of ${what}`, ref.relation)
  sink.add(path, 'invalid_access', `invalid access ${show(value)} in ${what}: expected \`none\`, \`assigned\`, \`all\` or a list of relations`)
  return undefined
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

const nonEmpty = <T>(list: T[] | undefined): T[] | undefined => list !== undefined && list.length > 0 ? list : undefined
const nonEmptyMap = <T>(map: Record<string, T> | undefined): Record<string, T> | undefined =>
  map !== undefined && Object.keys(map).length > 0 ? map : undefined

/**
 * The defined values of `values`, keys in `order`: normalized output has one key order.
 * INVARIANT: callers pass every required property of `T` defined.
 */
function ordered<T> (values: Partial<T>, order: ReadonlyArray<keyof T & string>): T {
  const out: Partial<T> = {}
  for (const key of order) {
    if (values[key] !== undefined) out[key] = values[key]
  }
  return out as T
}
