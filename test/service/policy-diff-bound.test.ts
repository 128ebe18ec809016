/**
 * src/service/policy-diff/diff.ts: the subjects' part of a diff is computed once per
 * distinct subject profile, and bounded (`maxProfileModules`, which the API sets): a
 * tenant whose subjects have many distinct profiles over many modules is refused instead
 * of holding the event loop for seconds.
 */
import t from 'tap'
import { compileBundle } from '../../src/engine/index.js'
import type { CompiledPolicy, Subject } from '../../src/engine/index.js'
import { DiffTooLarge, diffPolicies } from '../../src/service/policy-diff/index.js'

function compiled (modules: number, allFor?: string): CompiledPolicy {
  const bundle = {
    version: 1,
    modules: Object.fromEntries(Array.from({ length: modules }, (_, i) => [`m${i}`, { actions: { view: { level: 'limited' } } }])),
    roles: Object.fromEntries(['a', 'b', 'c', 'd'].map(r => [r, r === allFor ? { all: true } : { modules: { m0: { access: 'all', level: 'limited' } } }]))
  }
  const result = compileBundle(bundle)
  if (!result.ok) throw new Error(JSON.stringify(result.issues))
  return result.policy
}

const before = compiled(5)
const after = compiled(5, 'a')
const sameProfile: Subject[] = Array.from({ length: 50 }, (_, i) => ({ id: `u${i}`, roles: ['a'] }) as Subject)
const fourProfiles: Subject[] = ['a', 'b', 'c', 'd'].map(r => ({ id: `u-${r}`, roles: [r] }) as Subject)

t.test('subjects of one profile are compared once: 50 of them fit a bound of one profile', async t => {
  const bounded = diffPolicies(before, after, { subjects: sameProfile, maxProfileModules: 5 })
  t.same(bounded, diffPolicies(before, after, { subjects: sameProfile }), 'the same report as without a bound')
  t.equal(bounded.subjects?.length, 50, 'every subject of the profile is reported')
})

t.test('past the bound, DiffTooLarge', async t => {
  t.throws(() => diffPolicies(before, after, { subjects: fourProfiles, maxProfileModules: 19 }), DiffTooLarge, '4 profiles x 5 modules > 19')
  t.doesNotThrow(() => diffPolicies(before, after, { subjects: fourProfiles, maxProfileModules: 20 }), '4 profiles x 5 modules = 20')
  t.doesNotThrow(() => diffPolicies(before, after, { subjects: fourProfiles }), 'no bound by default (the CLI)')
})
