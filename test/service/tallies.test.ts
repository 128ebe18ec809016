/** The hot-path counters behind /metrics: decisions with a bounded module label, fixed-bound histograms. */
import t from 'tap'
import { Buckets, DecisionTally, OTHER_MODULES, UNKNOWN_MODULE } from '../../src/service/tallies.js'

t.test('decisions are counted by module, reason and outcome; undeclared modules share one label', async t => {
  const tally = new DecisionTally()
  tally.count('jobs', true, true, 'role_grant')
  tally.count('jobs', true, true, 'role_grant')
  tally.count('jobs', true, false, 'no_grant')
  tally.count('anything-a-caller-sends', false, false, 'module_unknown')
  tally.count('another-one', false, false, 'subject_unknown')
  t.same([...tally.counts()], [
    { module: 'jobs', reason: 'role_grant', allowed: true, count: 2 },
    { module: 'jobs', reason: 'no_grant', allowed: false, count: 1 },
    { module: UNKNOWN_MODULE, reason: 'subject_unknown', allowed: false, count: 1 },
    { module: UNKNOWN_MODULE, reason: 'module_unknown', allowed: false, count: 1 }
  ], 'in the order modules were first met, then the catalogue\'s order of reasons')
})

t.test('past maxModules declared names, new ones fold into one label; known ones keep theirs', async t => {
  const tally = new DecisionTally({ maxModules: 2 })
  tally.count('a', true, true, 'owner')
  tally.count('b', true, true, 'owner')
  tally.count('c', true, true, 'owner')
  tally.count('d', true, false, 'no_grant')
  tally.count('a', true, true, 'owner')
  tally.count('x', false, false, 'module_unknown')
  const byModule = new Map<string, number>()
  for (const { module, count } of tally.counts()) byModule.set(module, (byModule.get(module) ?? 0) + count)
  t.same(Object.fromEntries(byModule), { a: 2, b: 1, [OTHER_MODULES]: 2, [UNKNOWN_MODULE]: 1 })
})

t.test('buckets hold each value in the first bound at or above it, the rest past the last', async t => {
  const buckets = new Buckets([0.001, 0.01, 0.1])
  for (const v of [0, 0.001, 0.0011, 0.05, 0.1, 5]) buckets.observe(v)
  t.same([...buckets.counts], [2, 1, 2, 1])
  t.equal(buckets.count, 6)
  t.equal(Math.round(buckets.sum * 1e6) / 1e6, 5.1521)
})
