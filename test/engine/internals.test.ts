import t from 'tap'
import { assertNever } from '../../src/engine/assert.js'
import { andNot, bitsOf, clearBit, covers, emptyBits, hasBit, or, setBit } from '../../src/engine/bits.js'
import { jsonType, show } from '../../src/engine/issues.js'
import { describeScope } from '../../src/engine/scope.js'

t.test('assertNever throws loudly on an impossible value', async t => {
  t.throws(() => assertNever('surprise' as never), /bug: unexpected value "surprise"/)
})

t.test('bitsets span several words', async t => {
  const a = bitsOf(100, [0, 31, 32, 99])
  t.equal(a.length, 4)
  t.ok(hasBit(a, 31) && hasBit(a, 32) && hasBit(a, 99) && !hasBit(a, 33))
  clearBit(a, 31)
  t.notOk(hasBit(a, 31))
  const b = emptyBits(100)
  setBit(b, 64)
  t.ok(covers(or(a, b), b) && !covers(a, b))
  t.same([...andNot(or(a, b), a)], [...b])
  t.equal(emptyBits(0).length, 1, 'an empty index space still has one word')
})

t.test('describeScope names every kind of scope', async t => {
  t.equal(describeScope({ kind: 'all', access: 'all' }), 'all resources')
  t.equal(describeScope({ kind: 'none', access: 'none' }), 'no resources (access `none`)')
  t.equal(describeScope({ kind: 'relations', access: ['a', 'b'], relations: ['a', 'b'] }), 'resources where it is `a` or `b`')
})

t.test('messages show values and their JSON types', async t => {
  t.equal(show(undefined), '`undefined`')
  t.equal(show({ a: 1 }), '`{"a":1}`')
  t.same([null, [], {}, 's', 1, true, undefined].map(jsonType), ['null', 'an array', 'an object', 'a string', 'a number', 'a boolean', 'undefined'])
})
