/**
 * The workload's rules translated once, shared by every compared engine: the rule set,
 * its index, and each subject's facts and folded table.
 */
import type { Bundle, Subject } from '../../../src/engine/index.js'
import type { SubjectFacts } from './facts.js'
import { subjectFacts } from './facts.js'
import type { FoldedSubject, RuleIndex } from './fold.js'
import { Folder, indexRules } from './fold.js'
import type { Rule, RuleSet } from './rules.js'
import { buildRules, mergeRules } from './rules.js'

export interface TranslatedSubject {
  facts: SubjectFacts
  folded: FoldedSubject
}

export interface Translation {
  ruleSet: RuleSet
  /** Rules merged by condition: what Cedar and Cerbos load. */
  merged: Rule[]
  index: RuleIndex
  subjects: Map<string, TranslatedSubject>
  /** Distinct folded tables (profiles × projects). */
  profiles: number
  ms: number
}

export function translate (bundle: Bundle, subjects: readonly Subject[]): Translation {
  const start = performance.now()
  const ruleSet = buildRules(bundle)
  const index = indexRules(ruleSet)
  const folder = new Folder(index)
  const translated = new Map<string, TranslatedSubject>()
  for (const subject of subjects) {
    const facts = subjectFacts(subject)
    translated.set(subject.id, { facts, folded: folder.fold(facts) })
  }
  return { ruleSet, merged: mergeRules(ruleSet.rules), index, subjects: translated, profiles: folder.size, ms: performance.now() - start }
}
