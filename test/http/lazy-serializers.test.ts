import t from 'tap'
import { SerializerSelector } from '@fastify/fast-json-stringify-compiler'
import { lazySerializers } from '../../src/http/lazy-serializers.js'

const shared = { $id: 'Thing', type: 'object', properties: { id: { type: 'string' }, n: { type: 'integer' } }, required: ['id'] }
const route = { method: 'GET', url: '/things/:id', httpStatus: '200', schema: { type: 'object', properties: { thing: { $ref: 'Thing#' }, extra: { type: 'boolean' } } } }
const externals = { Thing: shared }

t.test('a lazy serializer writes what the eager one writes, including what the schema drops or coerces', async t => {
  const eager = SerializerSelector()(externals, {})(route)
  const lazy = lazySerializers()(externals, {})(route)
  for (const doc of [{ thing: { id: 'a', n: 1 } }, { thing: { id: 'b', n: '2', hidden: 'x' }, extra: true, other: 1 }, {}]) {
    t.equal(lazy(doc), eager(doc), JSON.stringify(doc))
  }
})

t.test('nothing is built until the first response', async t => {
  const compile = lazySerializers()(externals, {})
  // A schema that cannot be built: the eager compiler throws at once, the lazy one on the first response.
  const broken = { ...route, schema: { type: 'object', properties: { thing: { $ref: 'Missing#' } } } }
  t.throws(() => SerializerSelector()(externals, {})(broken))
  const serialize = compile(broken)
  t.throws(() => serialize({ thing: {} }))
})
