/**
 * A subject as the translated engines read it: the attributes Cedar entities and Cerbos
 * principals carry, and what `partial` folds per project.
 */
import type { Subject } from '../../../src/engine/index.js'
import { LEVELS } from '../../../src/engine/index.js'
import type { KnownSubject, OverrideAccess } from './conditions.js'

export interface OverrideFacts {
  /** Level rank, -1 when the override does not set one. */
  level: number
  access: OverrideAccess
  allow: string[]
  deny: string[]
}

export interface SubjectFacts {
  id: string
  /** `status` active and `login` not false. */
  active: boolean
  owner: boolean
  roles: string[]
  projects: Record<string, string[]>
  /** The subject's id and `group:<g>` for each of its groups. */
  names: string[]
  flagsOn: string[]
  flagsOff: string[]
  overrides: Record<string, OverrideFacts>
}

/** Throws when the subject uses something outside the translated subset (see `rules.ts`). */
export function subjectFacts (subject: Subject): SubjectFacts {
  if ((subject.aliases ?? []).length > 0) throw new Error(`subject \`${subject.id}\` has aliases: outside the translated subset`)
  const flags = subject.overrides?.flags ?? {}
  const overrides: Record<string, OverrideFacts> = {}
  for (const [module, o] of Object.entries(subject.overrides?.modules ?? {})) {
    if (Array.isArray(o.access)) throw new Error(`subject \`${subject.id}\` overrides \`${module}\` with a relation list: outside the translated subset`)
    overrides[module] = {
      level: o.level === undefined ? -1 : LEVELS.indexOf(o.level),
      access: o.access ?? 'keep',
      allow: [...(o.allow ?? [])],
      deny: [...(o.deny ?? [])]
    }
  }
  return {
    id: subject.id,
    active: (subject.status ?? 'active') === 'active' && subject.login !== false,
    owner: subject.owner === true,
    roles: [...subject.roles],
    projects: structuredClone(subject.projects ?? {}),
    names: [subject.id, ...(subject.groups ?? []).map(g => `group:${g}`)],
    flagsOn: Object.entries(flags).filter(([, v]) => v).map(([f]) => f),
    flagsOff: Object.entries(flags).filter(([, v]) => !v).map(([f]) => f),
    overrides
  }
}

/** What `partial` knows of the subject for a resource in `project` (`undefined`: in no project where it holds roles). */
export function knownSubject (facts: SubjectFacts, project: string | undefined): KnownSubject {
  const roles = new Set(facts.roles)
  if (project !== undefined) for (const r of facts.projects[project] ?? []) roles.add(r)
  return {
    active: facts.active,
    owner: facts.owner,
    roles,
    flagsOn: new Set(facts.flagsOn),
    flagsOff: new Set(facts.flagsOff),
    overrides: new Map(Object.entries(facts.overrides).map(([m, o]) => [m, { level: o.level, access: o.access, allow: new Set(o.allow), deny: new Set(o.deny) }]))
  }
}
