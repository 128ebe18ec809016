/**
 * The rules folded for one subject: per project context, per question, the relations of
 * the resource in which the subject must appear (`relationSet`). CASL abilities and the
 * plain-JS lookup are built from this. Subjects with the same roles, flags, overrides
 * and status share one folded table.
 */
import type { Cond, RelationSet } from './conditions.js'
import { or, partial, relationSet } from './conditions.js'
import type { SubjectFacts } from './facts.js'
import { knownSubject } from './facts.js'
import type { RuleSet } from './rules.js'

/** One question of one module, with its global index. */
export interface QuestionRef {
  module: string
  question: string
  index: number
}

/** An index over a rule set: the permit and forbid conditions of every question. */
export interface RuleIndex {
  questions: QuestionRef[]
  /** `${module}\u0000${question}` to its global index. */
  byKey: Map<string, number>
  permits: Cond[][]
  forbids: Cond[][]
}

export const questionKey = (module: string, question: string): string => `${module}\u0000${question}`

export function indexRules (set: RuleSet): RuleIndex {
  const questions: QuestionRef[] = []
  const byKey = new Map<string, number>()
  for (const [module, m] of set.modules) {
    for (const question of m.questions) {
      byKey.set(questionKey(module, question), questions.length)
      questions.push({ module, question, index: questions.length })
    }
  }
  const permits: Cond[][] = questions.map(() => [])
  const forbids: Cond[][] = questions.map(() => [])
  for (const rule of set.rules) {
    for (const q of questions) {
      if (rule.module !== '*' && rule.module !== q.module) continue
      if (rule.questions !== '*' && !rule.questions.includes(q.question)) continue
      ;(rule.effect === 'permit' ? permits : forbids)[q.index]?.push(rule.cond)
    }
  }
  return { questions, byKey, permits, forbids }
}

/** Per global question index: where the subject is allowed. */
export type FoldedTable = RelationSet[]

export interface FoldedSubject {
  /** For a resource in no project where the subject holds roles. */
  base: FoldedTable
  /** For a resource in one of the subject's projects. */
  projects: Map<string, FoldedTable>
}

export class Folder {
  readonly #index: RuleIndex
  readonly #cache = new Map<string, FoldedTable>()

  constructor (index: RuleIndex) {
    this.#index = index
  }

  fold (facts: SubjectFacts): FoldedSubject {
    const projects = new Map<string, FoldedTable>()
    for (const project of Object.keys(facts.projects)) projects.set(project, this.#table(facts, project))
    return { base: this.#table(facts, undefined), projects }
  }

  #table (facts: SubjectFacts, project: string | undefined): FoldedTable {
    const roles = [...new Set([...facts.roles, ...(project === undefined ? [] : facts.projects[project] ?? [])])].sort()
    const key = JSON.stringify([facts.active, facts.owner, roles, facts.flagsOn, facts.flagsOff, facts.overrides])
    const cached = this.#cache.get(key)
    if (cached !== undefined) return cached
    const known = knownSubject(facts, project)
    const table = this.#index.questions.map(q => {
      const forbidden = relationSet(or(...(this.#index.forbids[q.index] ?? []).map(c => partial(c, known))))
      if (forbidden === true) return false
      if (forbidden !== false) throw new Error(`a forbid rule on \`${q.module}\` \`${q.question}\` depends on the resource: outside the translated subset`)
      return relationSet(or(...(this.#index.permits[q.index] ?? []).map(c => partial(c, known))))
    })
    this.#cache.set(key, table)
    return table
  }

  /** How many distinct folded tables were built (profiles that share one count once). */
  get size (): number {
    return this.#cache.size
  }
}
