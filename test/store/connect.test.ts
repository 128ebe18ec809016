import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { readFile, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import pg from 'pg'
import t from 'tap'
import { findMigrationsFolder, guardPool, openStore } from '../../src/store/connect.js'
import { StoreUnavailableError } from '../../src/store/errors.js'
import { createTestDatabase, postgresServer, testPool } from '../helpers/db.js'

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..')

t.test('the migrations folder is found from src/ and from dist/src/ alike', async t => {
  const folder = join(repoRoot, 'migrations')
  t.equal(findMigrationsFolder(), folder)
  t.equal(findMigrationsFolder(join(repoRoot, 'src', 'store')), folder)
  t.equal(findMigrationsFolder(join(repoRoot, 'dist', 'src', 'store')), folder, 'one level deeper after tsc')
  t.throws(() => findMigrationsFolder('/'), /no migrations folder/)
})

t.test('a database url that is not postgres:// is refused without echoing it', async t => {
  const err = await openStore({ databaseUrl: 'mysql://root:hunter2@db/x', dataDir: t.testdir() }).catch((e: unknown) => e)
  t.type(err, StoreUnavailableError)
  t.notMatch((err as Error).message, /hunter2/)
})

t.test('an unreachable postgres server is StoreUnavailableError', async t => {
  const err = await openStore({ databaseUrl: 'postgres://gatehouse:hunter2@127.0.0.1:1/gatehouse', dataDir: t.testdir() }).catch((e: unknown) => e)
  t.type(err, StoreUnavailableError)
  t.match(err, { code: 'store_unavailable', cause: { code: 'ECONNREFUSED' } })
  t.notMatch((err as Error).message, /hunter2/)
})

t.test('embedded PGlite keeps its data in dataDir, and one process at a time may open it', async t => {
  const dataDir = join(t.testdir(), 'data', 'nested')
  const lock = join(dataDir, 'gatehouse.lock')

  const first = await openStore({ dataDir })
  t.ok(existsSync(join(dataDir, 'pglite')), 'the data directory was created')
  t.equal((await readFile(lock, 'utf8')).trim(), String(process.pid), 'the lock names this process')
  await first.putTenant('acme', { name: 'Acme' })
  await first.putSubject('acme', { id: 'u1', roles: ['employee'] })

  await t.rejects(openStore({ dataDir }), { code: 'store_unavailable', message: /already open in this process/ }, 'a second open in this process is refused')
  await first.close()
  t.notOk(existsSync(lock), 'close removes the lock')

  await writeFile(lock, `${process.ppid}\n`)
  await t.rejects(openStore({ dataDir }), { code: 'store_unavailable', message: new RegExp(`in use by process ${process.ppid}`) }, 'a live process holding the lock is respected')

  const gone = spawnSync(process.execPath, ['-e', '0'], { env: {} }).pid
  await writeFile(lock, `${gone}\n`)
  const second = await openStore({ dataDir })
  t.teardown(() => second.close())
  t.same(await second.getSubject('acme', 'u1'), { id: 'u1', roles: ['employee'] }, 'the data survived the restart; the stale lock was taken over')
  t.match(await second.getTenant('acme'), { revision: 2 })
})

const server = await postgresServer()

t.test('postgres', { skip: server.skip }, async t => {
  const serverUrl = await server.url()

  t.test('replicas starting together all migrate the same fresh database without a race', async t => {
    const database = await createTestDatabase(serverUrl)
    t.teardown(() => database.drop())
    const stores = await Promise.all(Array.from({ length: 4 }, () => openStore({ databaseUrl: database.url, dataDir: 'unused' })))
    t.teardown(() => Promise.all(stores.map(s => s.close())))
    const pool = testPool(database.url)
    t.teardown(() => pool.end())
    const applied = await pool.query<{ n: string }>('select count(*)::text as n from drizzle.__drizzle_migrations')
    const journal = JSON.parse(await readFile(join(findMigrationsFolder(), 'meta', '_journal.json'), 'utf8')) as { entries: unknown[] }
    t.equal(Number(applied.rows[0]?.n), journal.entries.length, 'each migration applied once')
    for (const s of stores) await t.resolves(s.ping())
  })

  t.test('idle connections dropped by the server are reported, and the store recovers', async t => {
    const database = await createTestDatabase(serverUrl)
    t.teardown(() => database.drop())
    const errors: Error[] = []
    const store = await openStore({ databaseUrl: database.url, dataDir: 'unused', onPoolError: err => { errors.push(err) } })
    t.teardown(() => store.close())
    await Promise.all([store.ping(), store.ping(), store.ping()])

    const admin = new pg.Client({ connectionString: serverUrl })
    await admin.connect()
    await admin.query('select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()', [new URL(database.url).pathname.slice(1)])
    await admin.end()
    // Every idle client of the three pings must have heard of its termination before the
    // pool is used again, else a ping can still draw a dead client (seen once under load).
    for (let i = 0; i < 100 && errors.length < 3; i++) await new Promise(resolve => setTimeout(resolve, 20))

    t.ok(errors.length > 0, 'the pool reported the dropped connections instead of crashing')
    t.match(errors[0], { code: '57P01' })
    await t.resolves(store.ping(), 'new connections are opened')
    t.match(await store.putTenant('acme', { name: 'Acme' }), { revision: 1, created: true })
  })

  t.test('a guarded pool survives a checked-out connection dropping between statements', async t => {
    const database = await createTestDatabase(serverUrl)
    t.teardown(() => database.drop())
    const pool = new pg.Pool({ connectionString: database.url })
    guardPool(pool)
    t.teardown(() => pool.end())
    const client = await pool.connect()
    const { rows } = await client.query<{ pid: number }>('select pg_backend_pid() as pid')
    const admin = new pg.Client({ connectionString: serverUrl })
    await admin.connect()
    await admin.query('select pg_terminate_backend($1)', [rows[0]?.pid])
    await admin.end()
    await new Promise(resolve => setTimeout(resolve, 100))
    await t.rejects(client.query('select 1'), 'the dropped connection fails its next query')
    client.release()
    await t.resolves(pool.query('select 1'), 'the pool replaced it')
  })
})
