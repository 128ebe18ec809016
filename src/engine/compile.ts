/**
 * Bundle compilation: `compileBundle` validates a parsed bundle (see `bundle-check.ts`)
 * and builds the `CompiledPolicy` that decisions run on; `exportBundle` gives back the
 * normalized bundle.
 */
import type { Bits } from './bits.js'
import type { CompiledAttribute } from './attributes.js'
import { compileAttributes } from './attributes.js'
import { ConditionMemo } from './condition.js'
import { andNot, bitsOf, emptyBits, or } from './bits.js'
import { checkBundle } from './bundle-check.js'
import type { Issue } from './issues.js'
import type { Bundle, Grant, ModuleDef, RoleDef } from './model.js'
import { LEVELS } from './model.js'
import type { CompiledField, CompiledGrant, CompiledModule, CompiledPolicy, CompiledRole, Rank } from './policy.js'
import { allFields } from './fields.js'
import { deepFreeze, getOwn } from './own.js'
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
  return { ok: true, policy: compileChecked(checked.value) }
}

/**
 * The policy's bundle, normalized: defaults dropped (`access: none`, `false` booleans,
 * empty lists and maps), properties in a fixed order. A fresh copy the caller may change.
 * INVARIANT: `compileBundle(exportBundle(p))` decides exactly as `p` does.
 */
export function exportBundle (policy: CompiledPolicy): Bundle {
  return structuredClone(policy.bundle)
}

/** Compiles a bundle that `checkBundle` accepted. */
function compileChecked (bundle: Bundle): CompiledPolicy {
  const flagNames = Object.keys(bundle.flags ?? {})
  const flagIndex = new Map(flagNames.map((name, i) => [name, i]))
  // INVARIANT: the validator only lets declared flags through, so every lookup finds an index.
  const flagBits = (names: readonly string[] | undefined): Bits => bitsOf(flagNames.length, (names ?? []).map(f => flagIndex.get(f) as number))
  const subjectAttributes = compileAttributes(bundle.subject_attributes)
  const modules = new Map<string, CompiledModule>()
  for (const [name, def] of Object.entries(bundle.modules)) modules.set(name, compileModule(name, modules.size, def, flagBits, subjectAttributes))
  const roles = new Map<string, CompiledRole>()
  for (const [name, def] of Object.entries(bundle.roles)) roles.set(name, compileRole(name, def, modules, flagBits))
  return {
    bundle: deepFreeze(bundle),
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
  subjectAttributes: ReadonlyMap<string, CompiledAttribute>
): CompiledModule {
  const actionDefs = Object.entries(def.actions)
  const actions = actionDefs.map(([action]) => action)
  const actionRank = actionDefs.map(([, a]) => LEVEL_RANK.get(a.level) as Rank)
  const upTo = (rank: number): Bits => bitsOf(actions.length, actionRank.flatMap((r, i) => r <= rank ? [i] : []))
  const relations = def.relations ?? []
  const attributes = compileAttributes(def.attributes)
  const conditions = new ConditionMemo(attributes, relations, subjectAttributes)
  const actionWhen = actionDefs.map(([, a]) => a.when === undefined ? undefined : conditions.onResource(a.when))
  const fields: CompiledField[] = Object.entries(def.fields ?? {})
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

/** A role grant, or (with `role` naming no role) a per-user override's own grant. */
export function compileGrant (role: string, module: CompiledModule, grant: Grant): CompiledGrant {
  const actionBits = (names: readonly string[] | undefined): Bits =>
    bitsOf(module.actions.length, (names ?? []).flatMap(a => { const i = module.actionIndex.get(a); return i === undefined ? [] : [i] }))
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
    fields: new Map(Object.entries(grant.fields ?? {})),
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
