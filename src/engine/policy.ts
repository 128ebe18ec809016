/**
 * The compiled form of a bundle: everything a decision needs, precomputed into maps
 * keyed by name and bitsets over action and flag indexes, so that a check is a few map
 * lookups and bit tests. Built only by `compileBundle`; treat it as immutable (its
 * `profiles` memo aside, which only the engine fills).
 */
import type { CompiledAttribute } from './attributes.js'
import type { Bits } from './bits.js'
import type { CompiledCondition, ConditionMemo } from './condition.js'
import type { SubjectProfile } from './compiled-subject.js'
import type { Access, Bundle, FieldAccess, FieldMode, Grant } from './model.js'

/** A level's rank: 0 `limited`, 1 `management`, 2 `full`. */
export type Rank = 0 | 1 | 2

/**
 * Which resources a grant reaches for one action. `relations` lists the relations in
 * which the subject (or one of its groups) must appear; `access` is what the bundle said.
 */
export type CompiledScope =
  | { kind: 'none', access: Access }
  | { kind: 'all', access: Access }
  | { kind: 'relations', access: Access, relations: readonly string[] }

/** A field of a module and the flags needed to see it. */
export interface CompiledField {
  name: string
  /** Bitset over the policy's flags. */
  flags: Bits
  flagNames: readonly string[]
}

/** One module: its actions by index, and per level the actions that level grants. */
export interface CompiledModule {
  name: string
  /** The module's position in the policy's `modules` (declaration order), for per-module arrays. */
  ordinal: number
  /** Action names in declaration order; an action's index is its position here. */
  actions: readonly string[]
  actionIndex: ReadonlyMap<string, number>
  /** Per action index: the rank of the level it needs. */
  actionRank: readonly Rank[]
  /** Per action index: the action's `when`, a condition for everyone (step 1). */
  actionWhen: ReadonlyArray<CompiledCondition | undefined>
  /** Whether any action has a `when`: decisions skip the check otherwise. */
  hasActionWhen: boolean
  /** The module's conditions by text (bundle, overrides, ACL entries), compiled once. */
  conditions: ConditionMemo
  /** Per action index: the flags it needs, as a bitset over the policy's flags. */
  actionFlags: readonly Bits[]
  actionFlagNames: ReadonlyArray<readonly string[]>
  /** Per level rank: the actions whose level is within it. */
  upToRank: readonly [Bits, Bits, Bits]
  relations: readonly string[]
  /** The declared attributes of the module's resources, by name. */
  attributes: ReadonlyMap<string, CompiledAttribute>
  /** The relations that access `assigned` means. */
  assigned: readonly string[]
  /** Sorted by name, so that field lists come out sorted. */
  fields: readonly CompiledField[]
  /** Every field visible and editable (frozen lists), what the owner, `all` roles and module admins get; `undefined` without fields. */
  allFields: FieldAccess | undefined
}

/** A role's grant on one module. */
export interface CompiledGrant {
  /** The granting role; `''` for a per-user override's own grant. */
  role: string
  module: string
  admin: boolean
  /** Level rank, `undefined` when the grant has no level (only `allow` actions are granted). */
  rank: Rank | undefined
  allow: Bits
  deny: Bits
  /** INVARIANT: `(upToRank[rank] | allow) & ~deny`: the actions granted before flags and scope. */
  granted: Bits
  /** The grant's `access`, for actions without a per-action scope. */
  access: CompiledScope
  /** Per action index: `scope[action]` if present, else `access`. */
  scopes: readonly CompiledScope[]
  fields: ReadonlyMap<string, FieldMode>
  /** Per action index: the grant's `when` for the action (it grants only where it holds); `undefined` when it has none. */
  when: ReadonlyArray<CompiledCondition | undefined> | undefined
  /** The grant as the bundle (or the override) wrote it, so that overrides can be applied to it. */
  source: Grant
}

/** A role: flags as a bitset, grants by module name. */
export interface CompiledRole {
  name: string
  all: boolean
  protected: boolean
  flags: Bits
  grants: ReadonlyMap<string, CompiledGrant>
}

/** A validated, compiled bundle. */
export interface CompiledPolicy {
  /** The normalized source bundle (deeply frozen): what `exportBundle` returns a copy of. */
  bundle: Bundle
  /** Flag name to its bit index. */
  flagIndex: ReadonlyMap<string, number>
  flagCount: number
  /** The declared subject attributes, by name. */
  subjectAttributes: ReadonlyMap<string, CompiledAttribute>
  modules: ReadonlyMap<string, CompiledModule>
  roles: ReadonlyMap<string, CompiledRole>
  /**
   * Subject profiles met so far under this policy, by profile key (`compiled-subject.ts`),
   * so that subjects alike in roles, flags and overrides share their decision contexts.
   * A memo, not part of the policy's meaning: each entry is a pure function of the
   * policy and its key. It only gains entries, up to a fixed bound; nothing else changes.
   */
  profiles: Map<string, SubjectProfile>
}
