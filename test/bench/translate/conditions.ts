/**
 * Conditions of the translated rules, as a small AST that renders to Cedar and to CEL
 * (Cerbos), and that folds, for one known subject, into "which relations of the
 * resource must name the subject" (what CASL conditions and the plain-JS table hold).
 *
 * Atoms read the subject (roles, flags, overrides, owner, active) or the resource
 * (`rel`: the subject or one of its groups is in relation `rel`); `role` reads both
 * (a tenant-wide role, or a role held in the resource's project).
 */

/** How a per-user override sets a module's access: `keep` when it does not set it. */
export type OverrideAccess = 'keep' | 'all' | 'assigned' | 'none'

export type Cond =
  | { k: 'const', value: boolean }
  | { k: 'and', xs: Cond[] }
  | { k: 'or', xs: Cond[] }
  | { k: 'not', x: Cond }
  | { k: 'if', c: Cond, t: Cond, e: Cond }
  | { k: 'active' }
  | { k: 'owner' }
  | { k: 'role', role: string }
  | { k: 'flagOn', flag: string }
  | { k: 'flagOff', flag: string }
  | { k: 'rel', rel: string }
  | { k: 'ovr', module: string }
  | { k: 'ovrLevelSet', module: string }
  | { k: 'ovrLevelGe', module: string, rank: number }
  | { k: 'ovrAccess', module: string, access: OverrideAccess }
  | { k: 'ovrAllow', module: string, action: string }
  | { k: 'ovrDeny', module: string, action: string }

export const T: Cond = { k: 'const', value: true }
export const F: Cond = { k: 'const', value: false }
export const bool = (value: boolean): Cond => value ? T : F
const isConst = (c: Cond, value: boolean): boolean => c.k === 'const' && c.value === value

/** Conjunction, folded: `false` absorbs, `true` vanishes, nested `and`s flatten. */
export function and (...xs: Cond[]): Cond {
  const out: Cond[] = []
  for (const x of xs) {
    if (isConst(x, false)) return F
    if (isConst(x, true)) continue
    if (x.k === 'and') out.push(...x.xs)
    else out.push(x)
  }
  if (out.length === 0) return T
  return out.length === 1 ? out[0] as Cond : { k: 'and', xs: out }
}

/** Disjunction, folded like `and`. */
export function or (...xs: Cond[]): Cond {
  const out: Cond[] = []
  for (const x of xs) {
    if (isConst(x, true)) return T
    if (isConst(x, false)) continue
    if (x.k === 'or') out.push(...x.xs)
    else out.push(x)
  }
  if (out.length === 0) return F
  return out.length === 1 ? out[0] as Cond : { k: 'or', xs: out }
}

export function not (x: Cond): Cond {
  if (x.k === 'const') return bool(!x.value)
  if (x.k === 'not') return x.x
  return { k: 'not', x }
}

/** `c ? t : e`, folded when `c` is constant or both branches are equal constants. */
export function ite (c: Cond, t: Cond, e: Cond): Cond {
  if (c.k === 'const') return c.value ? t : e
  if (t.k === 'const' && e.k === 'const') return t.value === e.value ? t : (t.value ? c : not(c))
  if (isConst(e, false)) return and(c, t)
  if (isConst(t, false)) return and(not(c), e)
  return { k: 'if', c, t, e }
}

/** What is known of a subject once its record is read, and of the resource's project. */
export interface KnownSubject {
  active: boolean
  owner: boolean
  /** The roles that apply for the resource's project: tenant-wide plus those held there. */
  roles: ReadonlySet<string>
  flagsOn: ReadonlySet<string>
  flagsOff: ReadonlySet<string>
  overrides: ReadonlyMap<string, { level: number, access: OverrideAccess, allow: ReadonlySet<string>, deny: ReadonlySet<string> }>
}

/**
 * Folds every atom that reads only the subject (and the project's roles): what remains
 * reads only `rel` atoms of the resource.
 */
export function partial (c: Cond, s: KnownSubject): Cond {
  switch (c.k) {
    case 'const': return c
    // Left to right, stopping at the first deciding operand, as Cedar and CEL do: a
    // guard (`ovr`) keeps the atoms after it from being read.
    case 'and': {
      const out: Cond[] = []
      for (const x of c.xs) {
        const p = partial(x, s)
        if (isConst(p, false)) return F
        out.push(p)
      }
      return and(...out)
    }
    case 'or': {
      const out: Cond[] = []
      for (const x of c.xs) {
        const p = partial(x, s)
        if (isConst(p, true)) return T
        out.push(p)
      }
      return or(...out)
    }
    case 'not': return not(partial(c.x, s))
    case 'if': {
      const cond = partial(c.c, s)
      if (cond.k === 'const') return partial(cond.value ? c.t : c.e, s)
      return ite(cond, partial(c.t, s), partial(c.e, s))
    }
    case 'active': return bool(s.active)
    case 'owner': return bool(s.owner)
    case 'role': return bool(s.roles.has(c.role))
    case 'flagOn': return bool(s.flagsOn.has(c.flag))
    case 'flagOff': return bool(s.flagsOff.has(c.flag))
    case 'rel': return c
    case 'ovr': return bool(s.overrides.has(c.module))
    case 'ovrLevelSet': return bool(override(s, c.module).level >= 0)
    case 'ovrLevelGe': return bool(override(s, c.module).level >= c.rank)
    case 'ovrAccess': return bool(override(s, c.module).access === c.access)
    case 'ovrAllow': return bool(override(s, c.module).allow.has(c.action))
    case 'ovrDeny': return bool(override(s, c.module).deny.has(c.action))
  }
}

function override (s: KnownSubject, module: string): NonNullable<ReturnType<KnownSubject['overrides']['get']>> {
  const o = s.overrides.get(module)
  // INVARIANT: the rules read an override's parts only under an `ovr` guard.
  if (o === undefined) throw new Error(`unguarded override atom on module \`${module}\``)
  return o
}

/**
 * A folded condition as the set of relations in which the subject must appear: `true`
 * (any resource), `false` (none) or a list of relations (any one of them). Throws when
 * the condition is not of that shape (it never is for the translated subset).
 */
export type RelationSet = boolean | string[]

export function relationSet (c: Cond): RelationSet {
  switch (c.k) {
    case 'const': return c.value
    case 'rel': return [c.rel]
    case 'or': {
      const rels = new Set<string>()
      for (const x of c.xs) {
        const r = relationSet(x)
        if (r === true) return true
        if (r !== false) for (const rel of r) rels.add(rel)
      }
      return rels.size === 0 ? false : [...rels].sort()
    }
    default: throw new Error(`condition is not a union of relations: ${JSON.stringify(c)}`)
  }
}
