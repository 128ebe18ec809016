/**
 * The rules as a Cedar policy set, and subjects and resources as Cedar entities.
 *
 * Principals are `User` entities with attributes `active`, `owner`, `roles` (set of
 * strings), `projectRoles` (set of `{project, role}` records), `names`, `flagsOn`,
 * `flagsOff` and `ovr` (a record with one `{level, access, allow, deny}` record per
 * overridden module). Resources are entities of type `<module>` with `project` (`""` for
 * none) and one set attribute per relation. Actions are `Action::"<module>/<question>"`.
 */
import type { Cond } from './conditions.js'
import type { SubjectFacts } from './facts.js'
import type { Rule } from './rules.js'

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/
const RESERVED = new Set(['true', 'false', 'if', 'then', 'else', 'in', 'is', 'like', 'has', 'principal', 'action', 'resource', 'context', 'permit', 'forbid', 'when', 'unless', '__cedar'])

/** A Cedar identifier (entity type, attribute), or a thrown error. */
export function cedarIdent (name: string): string {
  if (!IDENT.test(name) || RESERVED.has(name)) throw new Error(`\`${name}\` is not usable as a Cedar identifier`)
  return name
}

export const cedarActionId = (module: string, question: string): string => `${module}/${question}`

const str = (s: string): string => JSON.stringify(s)

export function cedarCond (c: Cond): string {
  switch (c.k) {
    case 'const': return String(c.value)
    case 'and': return `(${c.xs.map(cedarCond).join(' && ')})`
    case 'or': return `(${c.xs.map(cedarCond).join(' || ')})`
    case 'not': return `!(${cedarCond(c.x)})`
    case 'if': return `(if ${cedarCond(c.c)} then ${cedarCond(c.t)} else ${cedarCond(c.e)})`
    case 'active': return 'principal.active'
    case 'owner': return 'principal.owner'
    case 'role': return `(principal.roles.contains(${str(c.role)}) || principal.projectRoles.contains({"project": resource.project, "role": ${str(c.role)}}))`
    case 'flagOn': return `principal.flagsOn.contains(${str(c.flag)})`
    case 'flagOff': return `principal.flagsOff.contains(${str(c.flag)})`
    case 'rel': return `principal.names.containsAny(resource.${cedarIdent(c.rel)})`
    case 'ovr': return `(principal.ovr has ${cedarIdent(c.module)})`
    case 'ovrLevelSet': return `principal.ovr.${cedarIdent(c.module)}.level >= 0`
    case 'ovrLevelGe': return `principal.ovr.${cedarIdent(c.module)}.level >= ${c.rank}`
    case 'ovrAccess': return `principal.ovr.${cedarIdent(c.module)}.access == ${str(c.access)}`
    case 'ovrAllow': return `principal.ovr.${cedarIdent(c.module)}.allow.contains(${str(c.action)})`
    case 'ovrDeny': return `principal.ovr.${cedarIdent(c.module)}.deny.contains(${str(c.action)})`
  }
}

/** One Cedar policy per rule, in rule order. */
export function cedarPolicies (rules: readonly Rule[]): string {
  return rules.map(rule => {
    const actions = rule.questions === '*'
      ? 'action'
      : rule.questions.length === 1
        ? `action == Action::${str(cedarActionId(rule.module, rule.questions[0] as string))}`
        : `action in [${rule.questions.map(q => `Action::${str(cedarActionId(rule.module, q))}`).join(', ')}]`
    const resource = rule.module === '*' ? 'resource' : `resource is ${cedarIdent(rule.module)}`
    return `${rule.effect} (principal, ${actions}, ${resource}) when { ${cedarCond(rule.cond)} };`
  }).join('\n')
}

export interface CedarEntity {
  uid: { type: string, id: string }
  attrs: Record<string, unknown>
  parents: []
}

export function cedarPrincipal (facts: SubjectFacts): CedarEntity {
  return {
    uid: { type: 'User', id: facts.id },
    attrs: {
      active: facts.active,
      owner: facts.owner,
      roles: facts.roles,
      projectRoles: Object.entries(facts.projects).flatMap(([project, roles]) => roles.map(role => ({ project, role }))),
      names: facts.names,
      flagsOn: facts.flagsOn,
      flagsOff: facts.flagsOff,
      ovr: facts.overrides
    },
    parents: []
  }
}

export function cedarResource (module: string, id: string, project: string | undefined, relations: Record<string, string[]>): CedarEntity {
  const attrs: Record<string, unknown> = { project: project ?? '' }
  for (const [rel, values] of Object.entries(relations)) attrs[cedarIdent(rel)] = values
  return { uid: { type: cedarIdent(module), id }, attrs, parents: [] }
}
