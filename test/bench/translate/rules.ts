/**
 * gatehouse's decision semantics (DESIGN.md §1, ADR 0001) for one bundle, written out as
 * permit and forbid rules over the condition AST, one rule per question (an action, or
 * a field question) of a module. Cedar and Cerbos render these rules as their own
 * policies; CASL abilities and the plain-JS table are these rules folded per subject.
 *
 * The translated subset (anything else throws, so that no comparison runs on rules an
 * engine would only approximate):
 * - roles with flags, `all: true`, and grants with `access` (`none`, `assigned`, `all`,
 *   relation lists), `level`, `allow`, `deny`, per-action `scope` and `fields`; no
 *   module `admin` grant;
 * - subjects with tenant-wide roles, project roles, groups, `status`, `login`, `owner`,
 *   and overrides of flags and of modules (`access` `none`/`assigned`/`all`, `level`,
 *   `allow`, `deny`); no aliases, no relation-list access in an override;
 * - resources with a project and relation values; no ACL, no `parent`.
 * Field questions: `read_field:<f>` is "`view` is allowed and `f` is visible",
 * `edit_field:<f>` is "`view` is allowed and `f` is editable".
 */
import type { Access, Bundle, Grant, ModuleDef } from '../../../src/engine/index.js'
import { LEVELS } from '../../../src/engine/index.js'
import type { Cond } from './conditions.js'
import { and, bool, F, ite, not, or, T } from './conditions.js'

/** Every module (`*`) or one; every question (`*`) of it or the listed ones. */
export interface Rule {
  effect: 'permit' | 'forbid'
  module: string
  questions: string[] | '*'
  cond: Cond
}

export interface ModuleQuestions {
  actions: string[]
  /** Sorted field names. */
  fields: string[]
  /** Actions, then `read_field:<f>` and `edit_field:<f>` for each field. */
  questions: string[]
}

export interface RuleSet {
  rules: Rule[]
  modules: Map<string, ModuleQuestions>
}

const rankOf = (level: string | undefined): number | undefined => {
  if (level === undefined) return undefined
  const rank = (LEVELS as readonly string[]).indexOf(level)
  if (rank < 0) throw new Error(`unknown level \`${level}\``)
  return rank
}

const rel = (name: string): Cond => ({ k: 'rel', rel: name })
const role = (name: string): Cond => ({ k: 'role', role: name })
const ovr = (module: string): Cond => ({ k: 'ovr', module })

/** Builds the rules of a bundle; throws when the bundle leaves the translated subset. */
export function buildRules (bundle: Bundle): RuleSet {
  const rules: Rule[] = []
  const modules = new Map<string, ModuleQuestions>()
  const roles = Object.entries(bundle.roles)

  for (const [name, def] of roles) {
    for (const [module, grant] of Object.entries(def.modules ?? {})) {
      if (grant.admin === true) throw new Error(`role \`${name}\` is admin of \`${module}\`: module admin grants are outside the translated subset`)
    }
  }

  /** A flag is held: set by an override, or (unless cleared by one) held by a role that applies. */
  const flagHeld = (flag: string): Cond => or(
    { k: 'flagOn', flag },
    and(not({ k: 'flagOff', flag }), or(...roles.filter(([, d]) => (d.flags ?? []).includes(flag)).map(([r]) => role(r))))
  )
  const flagsHeld = (flags: readonly string[] | undefined): Cond => and(...(flags ?? []).map(flagHeld))

  // Step 1: an unknown, inactive or non-login subject is denied everything (even the owner).
  rules.push({ effect: 'forbid', module: '*', questions: '*', cond: not({ k: 'active' }) })
  // Step 2: the owner may do everything.
  rules.push({ effect: 'permit', module: '*', questions: '*', cond: { k: 'owner' } })
  // Step 5: a role with `all: true` grants every action of every module, every field.
  for (const [name, def] of roles) {
    if (def.all === true) rules.push({ effect: 'permit', module: '*', questions: '*', cond: role(name) })
  }

  for (const [module, def] of Object.entries(bundle.modules)) {
    const actions = Object.keys(def.actions)
    const fields = Object.keys(def.fields ?? {}).sort()
    if (fields.length > 0 && !actions.includes('view')) throw new Error(`module \`${module}\` has fields but no \`view\` action`)
    const questions = [...actions, ...fields.flatMap(f => [`read_field:${f}`, `edit_field:${f}`])]
    modules.set(module, { actions, fields, questions })
    const relations = def.relations ?? []
    const assigned = def.assigned ?? relations
    const scopeOf = (access: Access | undefined): Cond => {
      if (access === 'all') return T
      if (access === 'assigned') return or(...assigned.map(rel))
      if (Array.isArray(access)) return or(...access.map(rel))
      return F
    }
    const actionRank = (action: string): number => rankOf(def.actions[action]?.level) as number
    const actionFlags = (action: string): readonly string[] | undefined => def.actions[action]?.flags
    const granting = roles.filter(([, d]) => d.modules?.[module] !== undefined)

    // The override's own reach: `access` replaces the grant's (and every per-action scope).
    const overrideScope = (keep: Cond): Cond => ite({ k: 'ovrAccess', module, access: 'keep' }, keep,
      or({ k: 'ovrAccess', module, access: 'all' }, and({ k: 'ovrAccess', module, access: 'assigned' }, scopeOf('assigned'))))

    /** Role `r`'s grant `g` grants `action`: the grant's own terms, or its terms with the subject's override applied. */
    const grantGrants = (r: string, g: Grant, action: string): Cond => {
      const rankG = rankOf(g.level)
      const inAllow = (g.allow ?? []).includes(action)
      const inDeny = (g.deny ?? []).includes(action)
      const byLevel = rankG !== undefined && actionRank(action) <= rankG
      const scope = scopeOf(Object.hasOwn(g.scope ?? {}, action) ? g.scope?.[action] : g.access)
      const allowed: Cond = { k: 'ovrAllow', module, action }
      const levelOk = ite({ k: 'ovrLevelSet', module }, { k: 'ovrLevelGe', module, rank: actionRank(action) }, bool(byLevel))
      const withOverride = and(
        or(levelOk, bool(inAllow), allowed),
        not(and(bool(inDeny), not(allowed))),
        overrideScope(scope)
      )
      return and(role(r), flagsHeld(actionFlags(action)), ite(ovr(module), withOverride, and(bool(!inDeny && (inAllow || byLevel)), scope)))
    }
    /** A grant's field mode is `edit`: its `fields` entry, else a level of `management` or more (the override's level when it sets one). */
    const grantEdits = (g: Grant, field: string): Cond => {
      const mode = g.fields?.[field]
      if (mode !== undefined) return bool(mode === 'edit')
      const rankG = rankOf(g.level)
      return ite(and(ovr(module), { k: 'ovrLevelSet', module }), { k: 'ovrLevelGe', module, rank: 1 }, bool(rankG !== undefined && rankG >= 1))
    }
    const grantShows = (g: Grant, field: string): Cond => bool(g.fields?.[field] !== 'hidden')

    // No role that applies grants the module: the override stands as a grant of its own.
    const noRoleGrant = and(...granting.map(([r]) => not(role(r))))
    const ownGrants = (action: string): Cond => and(
      ovr(module), noRoleGrant, flagsHeld(actionFlags(action)),
      or(and({ k: 'ovrLevelSet', module }, { k: 'ovrLevelGe', module, rank: actionRank(action) }), { k: 'ovrAllow', module, action }),
      or({ k: 'ovrAccess', module, access: 'all' }, and({ k: 'ovrAccess', module, access: 'assigned' }, scopeOf('assigned')))
    )
    const ownEdits = and({ k: 'ovrLevelSet', module }, { k: 'ovrLevelGe', module, rank: 1 })

    for (const action of actions) {
      // Step 3: a per-user override that denies the action.
      rules.push({ effect: 'forbid', module, questions: [action], cond: and(ovr(module), { k: 'ovrDeny', module, action }, not({ k: 'owner' })) })
      for (const [r, d] of granting) addPermit(rules, module, action, grantGrants(r, d.modules?.[module] as Grant, action))
      addPermit(rules, module, action, ownGrants(action))
    }
    for (const field of fields) {
      const read = `read_field:${field}`
      const edit = `edit_field:${field}`
      const fieldFlags = flagsHeld(def.fields?.[field]?.flags)
      rules.push({ effect: 'forbid', module, questions: [read, edit], cond: and(ovr(module), { k: 'ovrDeny', module, action: 'view' }, not({ k: 'owner' })) })
      for (const [r, d] of granting) {
        const g = d.modules?.[module] as Grant
        const views = grantGrants(r, g, 'view')
        addPermit(rules, module, read, and(views, grantShows(g, field), fieldFlags))
        addPermit(rules, module, edit, and(views, grantEdits(g, field), fieldFlags))
      }
      addPermit(rules, module, read, and(ownGrants('view'), fieldFlags))
      addPermit(rules, module, edit, and(ownGrants('view'), ownEdits, fieldFlags))
    }
  }
  return { rules, modules }
}

function addPermit (rules: Rule[], module: string, question: string, cond: Cond): void {
  if (cond.k === 'const' && !cond.value) return
  rules.push({ effect: 'permit', module, questions: [question], cond })
}

/** Rules with the same effect, module and condition merged into one rule over their questions (fewer policies for Cedar and Cerbos). */
export function mergeRules (rules: readonly Rule[]): Rule[] {
  const merged = new Map<string, Rule>()
  const out: Rule[] = []
  for (const rule of rules) {
    if (rule.questions === '*') {
      out.push(rule)
      continue
    }
    const key = `${rule.effect}\u0000${rule.module}\u0000${JSON.stringify(rule.cond)}`
    const existing = merged.get(key)
    if (existing === undefined) {
      const copy = { ...rule, questions: [...rule.questions] }
      merged.set(key, copy)
      out.push(copy)
    } else {
      (existing.questions as string[]).push(...rule.questions)
    }
  }
  return out
}

/** The module definition, or a thrown error naming it. */
export function moduleDef (bundle: Bundle, module: string): ModuleDef {
  const def = bundle.modules[module]
  if (def === undefined) throw new Error(`unknown module \`${module}\``)
  return def
}
