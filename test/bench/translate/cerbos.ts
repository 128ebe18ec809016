/**
 * The rules as Cerbos resource policies (one per module, conditions in CEL), and
 * subjects and resources as Cerbos principals and resources. Cerbos is stateless: every
 * check request carries the principal's and the resource's attributes.
 *
 * Principal attributes mirror the Cedar entities (`translate/cedar.ts`), except that
 * project roles are `"<project>#<role>"` strings. Field questions are actions
 * (`read_field:price`).
 */
import { stringify } from 'yaml'
import type { Cond } from './conditions.js'
import type { SubjectFacts } from './facts.js'
import type { Rule } from './rules.js'

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/

function ident (name: string): string {
  if (!IDENT.test(name)) throw new Error(`\`${name}\` is not usable as a CEL field name`)
  return name
}

const str = (s: string): string => JSON.stringify(s)

export function celCond (c: Cond): string {
  switch (c.k) {
    case 'const': return String(c.value)
    case 'and': return `(${c.xs.map(celCond).join(' && ')})`
    case 'or': return `(${c.xs.map(celCond).join(' || ')})`
    case 'not': return `!(${celCond(c.x)})`
    case 'if': return `(${celCond(c.c)} ? ${celCond(c.t)} : ${celCond(c.e)})`
    case 'active': return 'P.attr.active == true'
    case 'owner': return 'P.attr.owner == true'
    case 'role': return `(${str(c.role)} in P.attr.roles || (R.attr.project + ${str(`#${c.role}`)}) in P.attr.projectRoles)`
    case 'flagOn': return `${str(c.flag)} in P.attr.flagsOn`
    case 'flagOff': return `${str(c.flag)} in P.attr.flagsOff`
    case 'rel': return `R.attr.${ident(c.rel)}.exists(v, v in P.attr.names)`
    case 'ovr': return `has(P.attr.ovr.${ident(c.module)})`
    case 'ovrLevelSet': return `P.attr.ovr.${ident(c.module)}.level >= 0.0`
    case 'ovrLevelGe': return `P.attr.ovr.${ident(c.module)}.level >= ${c.rank.toFixed(1)}`
    case 'ovrAccess': return `P.attr.ovr.${ident(c.module)}.access == ${str(c.access)}`
    case 'ovrAllow': return `${str(c.action)} in P.attr.ovr.${ident(c.module)}.allow`
    case 'ovrDeny': return `${str(c.action)} in P.attr.ovr.${ident(c.module)}.deny`
  }
}

/** One resource policy document (YAML) per module: the module's rules plus the global ones. */
export function cerbosPolicies (rules: readonly Rule[], modules: Iterable<string>): Map<string, string> {
  const docs = new Map<string, string>()
  for (const module of modules) {
    const policyRules = rules.filter(r => r.module === '*' || r.module === module).map(r => {
      const rule: Record<string, unknown> = {
        actions: r.questions === '*' ? ['*'] : r.questions,
        effect: r.effect === 'permit' ? 'EFFECT_ALLOW' : 'EFFECT_DENY',
        roles: ['*']
      }
      if (!(r.cond.k === 'const' && r.cond.value)) rule.condition = { match: { expr: celCond(r.cond) } }
      return rule
    })
    docs.set(module, stringify({
      apiVersion: 'api.cerbos.dev/v1',
      resourcePolicy: { version: 'default', resource: module, rules: policyRules }
    }, { lineWidth: 0 }))
  }
  return docs
}

export interface CerbosPrincipal {
  id: string
  roles: string[]
  attr: Record<string, unknown>
}

export function cerbosPrincipal (facts: SubjectFacts): CerbosPrincipal {
  return {
    id: facts.id,
    // Cerbos needs at least one role; every rule matches any role (`*`) and reads the real roles from `attr`.
    roles: ['user'],
    attr: {
      active: facts.active,
      owner: facts.owner,
      roles: facts.roles,
      projectRoles: Object.entries(facts.projects).flatMap(([project, roles]) => roles.map(role => `${project}#${role}`)),
      names: facts.names,
      flagsOn: facts.flagsOn,
      flagsOff: facts.flagsOff,
      ovr: facts.overrides
    }
  }
}

export function cerbosResource (module: string, id: string, project: string | undefined, relations: Record<string, string[]>): { kind: string, id: string, attr: Record<string, unknown> } {
  const attr: Record<string, unknown> = { project: project ?? '' }
  for (const [rel, values] of Object.entries(relations)) attr[ident(rel)] = values
  return { kind: module, id, attr }
}
