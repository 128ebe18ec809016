/**
 * Bundle compilation: `compileBundle` validates a parsed bundle (see `bundle-check.ts`)
 * and builds the `CompiledPolicy` that decisions run on; `exportBundle` gives back the
 * normalized bundle.
 */
import type { Bits } from './bits.js'
import type { CompiledAttribute } from './attributes.js'
import { compileAttributes } from './attributes.js'
import type { CompiledCondition } from './condition.js'
import { ConditionMemo } from './condition.js'
import { andNot, emptyBits, or, setBit } from './bits.js'
import { checkBundle } from './bundle-check.js'
import type { Issue } from './issues.js'
import type { Bundle, FieldMode, Grant, ModuleDef, RoleDef } from './model.js'
import { LEVELS } from './model.js'
import type { CompiledField, CompiledGrant, CompiledModule, CompiledPolicy, CompiledRole, Rank } from './policy.js'
import { allFields } from './fields.js'
import { deepFreeze, getOwn, jsonSafe } from './own.js'
import { compileScope } from './scope.js'

/** The rank of a level: 0 `limited`, 1 `management`, 2 `full`. */
export const LEVEL_RANK: ReadonlyMap<string, Rank> = new Map(LEVELS.map((level, rank) => [level, rank as Rank]))

/**
 * Validates and compiles a bundle as parsed from YAML or JSON.
 * Returns every issue found when the bundle is invalid; never throws.
 */
export function compileBundle (input: unknown): { ok: true, policy: CompiledPolicy } | { ok: false, issues: Issue[] } {
  const checked = checkBundle(input)
  if (!checked.ok) return checked
  const bundle = checked.value
  const modules = Object.entries(bundle.modules).map(([name, def]) => [name, def, undefined] as const)
  return { ok: true, policy: finish(compileSteps(bundle, modules, Object.entries(bundle.roles))) }
}

/**
 * The policy's bundle, normalized: defaults dropped (`access: none`, `false` booleans,
 * empty lists and maps), properties in a fixed order. A fresh copy the caller may change.
 * INVARIANT: `compileBundle(exportBundle(p))` decides exactly as `p` does.
 */
export function exportBundle (policy: CompiledPolicy): Bundle {
  return structuredClone(policy.bundle)
}

/**
 * A compiled policy in a form that crosses threads cheaply: its normalized bundle in
 * parts, each module with the compiled conditions of its actions and grants. Each part
 * is JSON text (which a structured clone copies without walking it, and which is parsed
 * one part at a time as `restoreSteps` reaches it) unless JSON would change it (a CEL
 * literal such as `1e999`): then the value itself. Checking a bundle and compiling its
 * conditions (CEL parsing and type checking) is most of what `compileBundle` costs; a
 * policy rebuilt from this form does neither.
 */
export interface PolicyTransfer {
  /** The bundle with `null` for `modules` and `roles` (so that its keys keep their order). */
  head: TransferPart
  /** Per module, in order: `[definition, conditions]`. */
  modules: Array<[name: string, part: TransferPart]>
  roles: Array<[name: string, part: TransferPart]>
}

export type TransferPart = { json: string } | { value: unknown }

/** What `restoreSteps` needs to rebuild `policy` elsewhere. */
export function transferPolicy (policy: CompiledPolicy): PolicyTransfer {
  const conditions = new Map<string, Map<string, CompiledCondition>>()
  const keep = (module: string, when: ReadonlyArray<CompiledCondition | undefined>): void => {
    let known = conditions.get(module)
    if (known === undefined) conditions.set(module, known = new Map())
    for (const condition of when) if (condition !== undefined) known.set(condition.text, condition)
  }
  for (const module of policy.modules.values()) keep(module.name, module.actionWhen)
  for (const role of policy.roles.values()) {
    for (const grant of role.grants.values()) keep(grant.module, grant.when ?? [])
  }
  const { bundle } = policy
  return {
    head: transferPart({ ...bundle, modules: null, roles: null }),
    // INVARIANT: `keep` made an entry for every module.
    modules: Object.entries(bundle.modules).map(([name, def]) => [name, transferPart([def, [...(conditions.get(name) as Map<string, CompiledCondition>).values()]])]),
    roles: Object.entries(bundle.roles).map(([name, def]) => [name, transferPart(def)])
  }
}

function transferPart (value: unknown): TransferPart {
  return jsonSafe(value) ? { json: JSON.stringify(value) } : { value }
}

function fromPart<T> (part: TransferPart): T {
  return ('json' in part ? JSON.parse(part.json) : part.value) as T
}

/**
 * Rebuilds the policy `transferPolicy` described, one module or role per step (each
 * part is read in its step), so that a caller may let other work run between steps: the
 * policy is whole only when the generator returns it. Nothing is checked and no
 * condition is compiled again.
 * INVARIANT: `transfer` is `transferPolicy` of a policy `compileBundle` built (a bundle
 * that was never checked must go through `compileBundle`).
 */
export function restoreSteps (transfer: PolicyTransfer): Generator<void, CompiledPolicy, void> {
  const modules = (function * () {
    for (const [name, part] of transfer.modules) {
      const [def, conditions] = fromPart<[ModuleDef, CompiledCondition[]]>(part)
      yield [name, def, conditions] as const
    }
  })()
  const roles = (function * () {
    for (const [name, part] of transfer.roles) yield [name, fromPart<RoleDef>(part)] as const
  })()
  return compileSteps(fromPart<Bundle>(transfer.head), modules, roles)
}

/** Runs `steps` to the end. */
export function finish<T> (steps: Generator<void, T, void>): T {
  for (;;) {
    const step = steps.next()
    if (step.done === true) return step.value
  }
}

type ModuleEntry = readonly [name: string, def: ModuleDef, conditions: readonly CompiledCondition[] | undefined]
type RoleEntry = readonly [name: string, def: RoleDef]

/**
 * Compiles a bundle that `checkBundle` accepted, yielding after each module and role:
 * `head` is the bundle whose `modules` and `roles` are replaced by those of the entries
 * (each module with the conditions already compiled for it, if any). The bundle is
 * frozen part by part.
 */
function * compileSteps (head: Bundle, moduleEntries: Iterable<ModuleEntry>, roleEntries: Iterable<RoleEntry>): Generator<void, CompiledPolicy, void> {
  const flagNames = Object.keys(head.flags ?? {})
  const flagIndex = new Map(flagNames.map((name, i) => [name, i]))
  // INVARIANT: the validator only lets declared flags through, so every lookup finds an index.
  const flagBits = (names: readonly string[] | undefined): Bits => {
    const bits = emptyBits(flagNames.length)
    for (const f of names ?? []) setBit(bits, flagIndex.get(f) as number)
    return bits
  }
  const subjectAttributes = compileAttributes(head.subject_attributes)
  const modules = new Map<string, CompiledModule>()
  const moduleDefs: Array<[string, ModuleDef]> = []
  for (const [name, def, known] of moduleEntries) {
    modules.set(name, compileModule(name, modules.size, def, flagBits, subjectAttributes, known))
    moduleDefs.push([name, deepFreeze(def)])
    yield
  }
  const roles = new Map<string, CompiledRole>()
  const roleDefs: Array<[string, RoleDef]> = []
  for (const [name, def] of roleEntries) {
    roles.set(name, compileRole(name, def, modules, flagBits))
    roleDefs.push([name, deepFreeze(def)])
    yield
  }
  // Modules and roles are frozen already: a second walk over them would cost as much again.
  for (const [key, value] of Object.entries(head)) if (key !== 'modules' && key !== 'roles') deepFreeze(value)
  // Assigned in place, so that `modules` and `roles` keep their position among the bundle's keys.
  head.modules = Object.freeze(Object.fromEntries(moduleDefs))
  head.roles = Object.freeze(Object.fromEntries(roleDefs))
  return {
    bundle: Object.freeze(head),
    flagIndex,
    flagCount: flagNames.length,
    subjectAttributes,
    modules,
    roles,
    profiles: new Map()
  }
}

function compileModule (
  name: string, ordinal: number, def: ModuleDef, flagBits: (names: readonly string[] | undefined) => Bits,
  subjectAttributes: ReadonlyMap<string, CompiledAttribute>, known: readonly CompiledCondition[] | undefined
): CompiledModule {
  const actionDefs = Object.entries(def.actions)
  const actions = actionDefs.map(([action]) => action)
  const actionRank = actionDefs.map(([, a]) => LEVEL_RANK.get(a.level) as Rank)
  const upTo = (rank: number): Bits => {
    const bits = emptyBits(actions.length)
    for (let i = 0; i < actionRank.length; i++) if ((actionRank[i] as Rank) <= rank) setBit(bits, i)
    return bits
  }
  const relations = def.relations ?? []
  const attributes = compileAttributes(def.attributes)
  const conditions = new ConditionMemo(attributes, relations, subjectAttributes)
  if (known !== undefined) conditions.remember(known)
  const actionWhen = actionDefs.map(([, a]) => a.when === undefined ? undefined : conditions.onResource(a.when))
  const fields: CompiledField[] = def.fields === undefined
    ? []
    : Object.entries(def.fields)
      .map(([field, f]) => ({ name: field, flags: flagBits(f.flags), flagNames: f.flags ?? [] }))
      .sort((a, b) => a.name < b.name ? -1 : 1)
  return {
    name,
    ordinal,
    actions,
    actionIndex: new Map(actions.map((action, i) => [action, i])),
    actionRank,
    actionFlags: actionDefs.map(([, a]) => flagBits(a.flags)),
    actionFlagNames: actionDefs.map(([, a]) => a.flags ?? []),
    upToRank: [upTo(0), upTo(1), upTo(2)],
    relations,
    attributes,
    actionWhen,
    hasActionWhen: actionWhen.some(w => w !== undefined),
    conditions,
    assigned: def.assigned ?? relations,
    fields,
    allFields: fields.length === 0 ? undefined : allFields(fields)
  }
}

function compileRole (name: string, def: RoleDef, modules: ReadonlyMap<string, CompiledModule>, flagBits: (names: readonly string[] | undefined) => Bits): CompiledRole {
  const grants = new Map<string, CompiledGrant>()
  for (const [moduleName, grant] of Object.entries(def.modules ?? {})) {
    const module = modules.get(moduleName)
    // INVARIANT: the validator rejects grants on undeclared modules.
    if (module !== undefined) grants.set(moduleName, compileGrant(name, module, grant))
  }
  return { name, all: def.all === true, protected: def.protected === true, flags: flagBits(def.flags), grants }
}

/** A grant without `fields`: most are, and none is changed once compiled. */
const NO_FIELD_MODES: ReadonlyMap<string, FieldMode> = new Map()

/** A role grant, or (with `role` naming no role) a per-user override's own grant. */
export function compileGrant (role: string, module: CompiledModule, grant: Grant): CompiledGrant {
  const actionBits = (names: readonly string[] | undefined): Bits => {
    const bits = emptyBits(module.actions.length)
    for (const a of names ?? []) {
      const i = module.actionIndex.get(a)
      if (i !== undefined) setBit(bits, i)
    }
    return bits
  }
  const rank = grant.level === undefined ? undefined : LEVEL_RANK.get(grant.level)
  const allow = actionBits(grant.allow)
  const deny = actionBits(grant.deny)
  const byLevel = rank === undefined ? emptyBits(module.actions.length) : module.upToRank[rank]
  const access = compileScope(module, grant.access)
  const scope = grant.scope ?? {}
  return {
    role,
    module: module.name,
    admin: grant.admin === true,
    rank,
    allow,
    deny,
    granted: andNot(or(byLevel, allow), deny),
    access,
    scopes: module.actions.map(a => Object.hasOwn(scope, a) ? compileScope(module, scope[a]) : access),
    fields: grant.fields === undefined ? NO_FIELD_MODES : new Map(Object.entries(grant.fields)),
    // Most grants have no condition: no per-action array for them.
    when: grant.when === undefined
      ? undefined
      : module.actions.map(a => {
        const text = getOwn(grant.when, a)
        return typeof text === 'string' ? module.conditions.onResource(text) : undefined
      }),
    source: grant
  }
}
