import { DrizzleQueryError } from 'drizzle-orm'
import { drizzle } from 'drizzle-orm/pglite'
import t from 'tap'
import { ConflictError, NotFoundError, RevisionMismatchError, StoreError, StoreUnavailableError, isRetryable, sqlState, toStoreError } from '../../src/store/errors.js'
import { createPgStore } from '../../src/store/pg-store.js'
import type { StoreDb } from '../../src/store/pg-store.js'
import { acquirePglite } from '../helpers/db.js'

/** What drizzle throws for a failed statement: the driver error (with its SQLSTATE) as `cause`. */
function queryError (code: string, message = 'database says no'): DrizzleQueryError {
  const driverError = Object.assign(new Error(message), { code, severity: 'ERROR' })
  return new DrizzleQueryError('insert into "subjects" values ($1)', ['secret-parameter'], driverError)
}

t.test('SQLSTATEs map to the store error classes, keeping the original as cause', async t => {
  const cases: Array<[string, unknown, string, new (...args: never[]) => StoreError]> = [
    ['unique violation', queryError('23505'), 'conflict', ConflictError],
    ['serialization failure (after the last retry)', queryError('40001'), 'unavailable', StoreUnavailableError],
    ['deadlock (after the last retry)', queryError('40P01'), 'unavailable', StoreUnavailableError],
    ['connection failure', queryError('08006'), 'unavailable', StoreUnavailableError],
    ['connection refused by the server', queryError('08001'), 'unavailable', StoreUnavailableError],
    ['admin shutdown (server restart)', queryError('57P01'), 'unavailable', StoreUnavailableError],
    ['server starting up', queryError('57P03'), 'unavailable', StoreUnavailableError],
    ['too many connections', queryError('53300'), 'unavailable', StoreUnavailableError],
    ['socket refused', Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }), 'unavailable', StoreUnavailableError],
    ['broken pipe', Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }), 'unavailable', StoreUnavailableError],
    ['connection dropped', new Error('Connection terminated unexpectedly'), 'unavailable', StoreUnavailableError],
    ['pool timeout', new Error('timeout exceeded when trying to connect'), 'unavailable', StoreUnavailableError],
    ['closed PGlite', new Error('PGlite is closed'), 'unavailable', StoreUnavailableError],
    ['foreign key violation (a bug)', queryError('23503'), 'internal', StoreError],
    ['syntax error (a bug)', queryError('42601'), 'internal', StoreError],
    ['anything else', new TypeError('x is undefined'), 'internal', StoreError]
  ]
  for (const [name, err, kind, cls] of cases) {
    const mapped = toStoreError(err)
    t.equal(mapped.constructor, cls, `${name}: ${cls.name}`)
    t.equal(mapped.kind, kind, `${name}: kind ${kind}`)
    t.equal(mapped.cause, err, `${name}: keeps the cause`)
    t.notMatch(mapped.message, /secret-parameter|insert into/, `${name}: no SQL or parameters in the message`)
  }
})

t.test('store errors pass through unchanged', async t => {
  const errors = [new NotFoundError('tenant', 'acme'), new RevisionMismatchError('acme', 1, 2), new ConflictError('alias_conflict', 'x'), new StoreUnavailableError('down')]
  for (const err of errors) t.equal(toStoreError(err), err)
})

t.test('error messages follow the house style', async t => {
  t.equal(new NotFoundError('subject', 'u1').message, 'subject `u1` not found')
  t.equal(new RevisionMismatchError('acme', 3, 5).message, 'tenant `acme` is at revision 5, not 3')
  t.match(new NotFoundError('key', 'k1'), { name: 'NotFoundError', kind: 'not_found', code: 'key_not_found', entity: 'key', id: 'k1' })
})

t.test('sqlState reads the code through the cause chain and ignores socket codes', async t => {
  t.equal(sqlState(queryError('23505')), '23505')
  t.equal(sqlState(new Error('x', { cause: queryError('40P01') })), '40P01')
  t.equal(sqlState(Object.assign(new Error('write EPIPE'), { code: 'EPIPE' })), undefined)
  t.equal(sqlState('not an error'), undefined)
  t.ok(isRetryable(queryError('40001')))
  t.notOk(isRetryable(queryError('23505')))
})

t.test('transactions aborted by a serialization failure or a deadlock are retried', async t => {
  const { client, release } = await acquirePglite()
  t.teardown(release)
  const db = drizzle({ client, casing: 'snake_case' }) as unknown as StoreDb
  let calls = 0
  let failures = 0
  // Real store on a real database; only `transaction` is wrapped to fail on demand.
  const faulty: StoreDb = Object.create(db)
  faulty.transaction = async (fn, config) => {
    calls++
    if (failures > 0) {
      failures--
      throw queryError(calls % 2 === 0 ? '40P01' : '40001', 'could not serialize access due to concurrent update')
    }
    return db.transaction(fn, config)
  }
  const store = createPgStore(faulty, { close: async () => {}, listen: async () => async () => {} })
  const tenant = `tenant-retry-${Date.now()}`

  failures = 2
  t.match(await store.putTenant(tenant, { name: 'Retried' }), { revision: 1, created: true }, 'succeeds on the third attempt')
  t.equal(calls, 3)

  calls = 0
  failures = 100
  const err = await store.putSubject(tenant, { id: 'u1', roles: [] }).catch((e: unknown) => e)
  t.type(err, StoreUnavailableError, 'gives up after three attempts')
  t.equal(calls, 3)
  t.type((err as Error).cause, DrizzleQueryError)
  t.equal((await store.getTenant(tenant))?.revision, 1, 'nothing was written')

  calls = 0
  failures = 0
  const conflict = await store.putSubject('no-such-tenant', { id: 'u1', roles: [] }).catch((e: unknown) => e)
  t.type(conflict, NotFoundError, 'other errors are not retried')
  t.equal(calls, 1)
})
