import t from 'tap'
import { SerializerSelector } from '@fastify/fast-json-stringify-compiler'
import { AjvCompiler } from '@fastify/ajv-compiler'
import { lazySerializers, lazyValidators, lowerCaseHeaders } from '../../src/http/lazy-compilers.js'

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

t.test('a lazy validator accepts and refuses what the eager one does, with the same errors', async t => {
  const options = { customOptions: { removeAdditional: false, allErrors: false, coerceTypes: false, useDefaults: false } }
  const body = { method: 'PUT', url: '/things/:id', httpPart: 'body', schema: { type: 'object', properties: { thing: { $ref: 'Thing#' } }, required: ['thing'], additionalProperties: false } }
  const eager = AjvCompiler()(externals, options)(body as never) as unknown as ((data: unknown) => boolean) & { errors?: unknown }
  const lazy = lazyValidators()(externals, options)(body as never) as unknown as ((data: unknown) => boolean) & { errors?: unknown }
  for (const doc of [{ thing: { id: 'a' } }, { thing: { id: 1 } }, {}, { thing: { id: 'a' }, more: 1 }, 'x']) {
    t.equal(lazy(doc), eager(doc), JSON.stringify(doc))
    t.same(lazy.errors, eager.errors, `errors of ${JSON.stringify(doc)}`)
  }
})

t.test('header schemas name headers in lower case, as Fastify makes them for its own compiler', async t => {
  t.same(lowerCaseHeaders({ type: 'object', properties: { 'If-Match': { type: 'string' } }, required: ['If-Match', 3] }),
    { type: 'object', properties: { 'if-match': { type: 'string' } }, required: ['if-match', 3] })
  t.same(lowerCaseHeaders({ type: 'object' }), { type: 'object' })
  t.equal(lowerCaseHeaders(true), true)
  t.same(lowerCaseHeaders([1]), [1])
  const options = { customOptions: {} }
  const headers = { method: 'PUT', url: '/x', httpPart: 'headers', schema: { type: 'object', properties: { 'X-Actor': { type: 'string', minLength: 2 } }, required: ['X-Actor'] } }
  const validate = lazyValidators()({}, options)(headers as never) as unknown as (data: unknown) => boolean
  t.equal(validate({ 'x-actor': 'ok' }), true, 'Node gives header names in lower case')
  t.equal(validate({ 'x-actor': 'o' }), false)
  t.equal(validate({}), false, 'still required')
})
