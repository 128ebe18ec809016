import t from 'tap'
import { Lru } from '../../src/service/lru.js'

t.test('the least recently used entry goes first when the cache is full', async t => {
  const lru = new Lru<string, number>(2)
  lru.set('a', 1)
  lru.set('b', 2)
  t.equal(lru.get('a'), 1, 'a read counts as a use')
  lru.set('c', 3)
  t.equal(lru.has('b'), false, 'b was least recently used')
  t.equal(lru.get('a'), 1)
  t.equal(lru.get('c'), 3)
  t.equal(lru.size, 2)
})

t.test('peek does not count as a use; set replaces and refreshes', async t => {
  const lru = new Lru<string, number>(2)
  lru.set('a', 1)
  lru.set('b', 2)
  t.equal(lru.peek('a'), 1)
  lru.set('c', 3)
  t.equal(lru.has('a'), false, 'a was only peeked at')
  lru.set('b', 20)
  lru.set('d', 4)
  t.equal(lru.get('b'), 20, 'b was refreshed by set')
  t.equal(lru.has('c'), false)
})

t.test('delete and clear', async t => {
  const lru = new Lru<string, number>(10)
  for (const k of ['t1/a', 't1/b', 't2/a']) lru.set(k, 1)
  t.equal(lru.delete('t1/a'), true)
  t.equal(lru.delete('t1/a'), false)
  t.same([lru.has('t1/b'), lru.has('t2/a')], [true, true])
  lru.clear()
  t.equal(lru.size, 0)
})

t.test('an undefined value is kept and found', async t => {
  const lru = new Lru<string, number | undefined>(2)
  lru.set('u', undefined)
  t.equal(lru.has('u'), true)
  t.equal(lru.get('u'), undefined)
})

t.test('a size below 1 is refused', async t => {
  t.throws(() => new Lru(0), RangeError)
  t.throws(() => new Lru(1.5), RangeError)
})

t.test('onEvict hears of each entry dropped to make room, and of no other', async t => {
  const evicted: string[] = []
  const lru = new Lru<string, number>(2, key => { evicted.push(key) })
  lru.set('a', 1)
  lru.set('b', 2)
  lru.get('a')
  lru.set('c', 3)
  lru.delete('a')
  lru.set('d', 4)
  lru.clear()
  t.same(evicted, ['b'], 'b made room for c; a was deleted, c and d cleared')
})

t.test('an entry being set is never the one dropped, even when every other was used', async t => {
  const lru = new Lru<string, number>(2)
  lru.set('a', 1)
  lru.set('b', 2)
  lru.get('a')
  lru.get('b')
  lru.set('c', 3)
  t.equal(lru.has('c'), true, 'c is kept')
  t.equal(lru.has('a'), false, 'the oldest, once its second chance is spent, makes room')
  t.equal(lru.size, 2)
  const one = new Lru<string, number>(1)
  one.set('x', 1)
  one.get('x')
  one.set('y', 2)
  t.same([one.has('x'), one.has('y')], [false, true], 'a cache of one keeps the newest')
})

t.test('under churn the cache keeps its size, drops each cold entry once, and never an entry read since the hand last passed', async t => {
  let evicted = 0
  const lru = new Lru<string, number>(1000, () => { evicted++ })
  lru.set('hot', 0)
  let hotLost = 0
  let inserted = 1
  let removed = 0
  for (let i = 0; i < 100_000; i++) {
    lru.set(`k${i}`, i)
    inserted++
    if (lru.get('hot') === undefined) hotLost++
    // Entries deleted or cleared by hand while the hand is mid-walk.
    if (i % 97 === 0 && lru.delete(`k${i - 10}`)) removed++
    if (i === 50_000) {
      removed += lru.size
      lru.clear()
      lru.set('hot', 0)
      inserted++
    }
  }
  t.equal(hotLost, 0, 'the entry read after every insertion stayed')
  t.equal(lru.size, 1000)
  t.ok(lru.has('k99999') && lru.has('k99001'), 'the newest entries are there')
  t.notOk(lru.has('k98000'), 'older cold ones are not')
  t.equal(evicted, inserted - removed - lru.size, 'every other entry was evicted, each once')
})
