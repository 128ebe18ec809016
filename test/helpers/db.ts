/**
 * The database harness shared by the store conformance suite and the HTTP tests.
 *
 * - PGlite: one instance per test file at a time (an instance costs 400-800 MB), loaded
 *   from the template that `test/setup/pglite-template.ts` dumps before the run. Every
 *   `open()` returns a new Store on that one instance; tests isolate themselves by
 *   minting fresh tenant ids, never by truncating. Close what you open (t.teardown):
 *   the instance is closed when the last store on it is, or the process cannot exit.
 * - Postgres: `TEST_DATABASE_URL` when set (CI: an unreachable server makes `open()`
 *   throw, so the run fails instead of skipping), else a PostgreSQL 15 container through
 *   testcontainers, else skipped with the reason. Every `open()` creates and migrates a
 *   fresh database `gatehouse_test_<random>`, dropped by `close()`.
 */
import { randomBytes } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { PGlite } from '@electric-sql/pglite'
import pg from 'pg'
import { findMigrationsFolder, guardPool, migratePglite, openPgliteStore, openPostgresStore } from '../../src/store/connect.js'
import type { Store } from '../../src/store/store.js'
import { PGLITE_TEMPLATE } from './pglite-template-stamp.js'

export type BackendName = 'pglite' | 'postgres'

/** What a backend can do; conformance cases that need more are skipped by name. */
export interface BackendCapabilities {
  /** Several connections, so writers really run at the same time (PGlite has one connection). */
  concurrentWriters: boolean
}

export interface OpenedBackend {
  name: BackendName
  store: Store
  /** Closes the store and releases what `open()` created (drops the Postgres database). */
  close (): Promise<void>
}

export interface BackendHarness {
  name: BackendName
  /** A reason to skip this backend, or false. */
  skip: string | false
  capabilities: BackendCapabilities
  open (): Promise<OpenedBackend>
}

/** The PostgreSQL major the service is run on in production; the container uses it. */
const POSTGRES_IMAGE = 'postgres:15-alpine'

const migrationsFolder = findMigrationsFolder()

export { PGLITE_TEMPLATE, PGLITE_TEMPLATE_STAMP, pgliteTemplateStamp } from './pglite-template-stamp.js'

/**
 * An open PGlite loaded with `loadDataDir` keeps the process from exiting until it is
 * closed, so the file's instance is closed once no store uses it any more, after a short
 * grace period that lets the next test's `open()` reuse it (tests open and close in turn).
 */
const PGLITE_IDLE_CLOSE_MS = 200

interface SharedPglite { client: Promise<PGlite>, users: number, closeTimer: NodeJS.Timeout | undefined }
let sharedPglite: SharedPglite | undefined

async function createPglite (): Promise<PGlite> {
  const template = await readFile(PGLITE_TEMPLATE).catch(() => undefined)
  const client = template === undefined
    ? await PGlite.create()
    : await PGlite.create({ loadDataDir: new Blob([template]) })
  // A no-op on an up-to-date template; applies whatever is newer otherwise.
  await migratePglite(client, migrationsFolder)
  return client
}

/** This file's PGlite instance (from the template when there is one), and the function that lets go of it. */
export async function acquirePglite (): Promise<{ client: PGlite, release: () => void }> {
  sharedPglite ??= { client: createPglite(), users: 0, closeTimer: undefined }
  const shared = sharedPglite
  shared.users++
  clearTimeout(shared.closeTimer)
  shared.closeTimer = undefined
  let client: PGlite
  try {
    client = await shared.client
  } catch (err) {
    shared.users--
    if (sharedPglite === shared) sharedPglite = undefined
    throw err
  }
  let released = false
  return {
    client,
    release () {
      if (released) return
      released = true
      shared.users--
      if (shared.users > 0) return
      shared.closeTimer = setTimeout(() => {
        if (sharedPglite === shared) sharedPglite = undefined
        client.close().catch(() => {})
      }, PGLITE_IDLE_CLOSE_MS)
    }
  }
}

/**
 * Fills `dataDir` the way `openStore` lays it out (PGlite in `<dataDir>/pglite`) with the
 * migrated template, for a test that starts the service on a data directory without
 * testing the first start: loading the template costs about 1.6 s of CPU here, against
 * about 5.6 s for the initdb the service would run. Without a template (tap's `before`
 * did not run), the directory is left empty and the service runs initdb.
 */
export async function seedPgliteDataDir (dataDir: string): Promise<void> {
  const template = await readFile(PGLITE_TEMPLATE).catch(() => undefined)
  if (template === undefined) return
  const client = await PGlite.create({ dataDir: join(dataDir, 'pglite'), loadDataDir: new Blob([template]) })
  await client.close()
}

/** Store options a test may set (`searchScanWindow`: small, to reach the search's candidate path). */
export interface BackendOptions { searchScanWindow?: number }

export function pgliteBackend (opts: BackendOptions = {}): BackendHarness {
  return {
    name: 'pglite',
    skip: false,
    capabilities: { concurrentWriters: false },
    async open () {
      const { client, release } = await acquirePglite()
      const store = await openPgliteStore(client, { ...opts, migrate: false, close: async () => { release() } })
      return { name: 'pglite', store, close: () => store.close() }
    }
  }
}

function errorMessage (err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}

export interface PostgresServer {
  /** A reason no server can be had, or false. */
  skip: string | false
  /** The server's URL (an admin connection: it may create databases); starts the container on first use. */
  url (): Promise<string>
}

export interface TestDatabase {
  /** A URL to the fresh, empty database. */
  url: string
  /** Drops the database, closing whatever is still connected to it. */
  drop (): Promise<void>
}

async function adminQuery (serverUrl: string, text: string): Promise<void> {
  const client = new pg.Client({ connectionString: serverUrl, connectionTimeoutMillis: 10_000 })
  client.on('error', () => {})
  await client.connect()
  try {
    await client.query(text)
  } finally {
    await client.end()
  }
}

/**
 * A pool on a test database, guarded as the store guards its own (`guardPool`). Its
 * connections can be ended by the server: the database's drop (`with (force)`) ends what
 * is still connected, and a pool's `end()` may resolve before the server has closed its
 * sessions. Unheard, that error ends the whole test file as an uncaught exception (57P01,
 * "terminating connection due to administrator command", seen at teardown under load).
 */
export function testPool (url: string, max?: number): pg.Pool {
  const pool = new pg.Pool({ connectionString: url, ...(max === undefined ? {} : { max }) })
  guardPool(pool)
  return pool
}

/** Creates an empty database `gatehouse_test_<random>` on the server. */
export async function createTestDatabase (serverUrl: string): Promise<TestDatabase> {
  const name = `gatehouse_test_${randomBytes(6).toString('hex')}`
  await adminQuery(serverUrl, `create database "${name}"`)
  const url = new URL(serverUrl)
  url.pathname = `/${name}`
  return {
    url: url.toString(),
    drop: () => adminQuery(serverUrl, `drop database if exists "${name}" with (force)`)
  }
}

let container: Promise<string> | undefined

/** Starts this process's Postgres container on first use; it is stopped when the process is about to exit. */
async function containerUrl (): Promise<string> {
  container ??= (async () => {
    const { PostgreSqlContainer } = await import('@testcontainers/postgresql')
    const started = await new PostgreSqlContainer(POSTGRES_IMAGE).start()
    let stopping = false
    process.on('beforeExit', () => {
      if (stopping) return
      stopping = true
      started.stop().catch(() => {})
    })
    return started.getConnectionUri()
  })()
  return container
}

/**
 * The PostgreSQL server tests run against: TEST_DATABASE_URL when set (never skipped:
 * when it is unreachable, `url()` works but connecting throws), else a testcontainers
 * container, else a skip with the reason.
 */
export async function postgresServer (): Promise<PostgresServer> {
  const url = process.env.TEST_DATABASE_URL
  if (url !== undefined && url !== '') return { skip: false, url: async () => url }
  try {
    // Dynamic imports, so that a testcontainers that cannot even load is a skip too.
    await import('@testcontainers/postgresql')
    const { getContainerRuntimeClient } = await import('testcontainers')
    await getContainerRuntimeClient()
  } catch (err) {
    const reason = `no TEST_DATABASE_URL and testcontainers unavailable: ${errorMessage(err)}`
    return { skip: reason, url: async () => { throw new Error(reason) } }
  }
  return { skip: false, url: containerUrl }
}

export async function postgresBackend (opts: BackendOptions = {}): Promise<BackendHarness> {
  const server = await postgresServer()
  return {
    name: 'postgres',
    skip: server.skip,
    capabilities: { concurrentWriters: true },
    async open () {
      const database = await createTestDatabase(await server.url())
      const pool = new pg.Pool({ connectionString: database.url, max: 25 })
      guardPool(pool)
      const close = async (): Promise<void> => {
        await pool.end().catch(() => {})
        await database.drop()
      }
      try {
        // A fresh database is migrated in about 20 ms: simpler and race-free next to a
        // shared template database (CREATE DATABASE ... TEMPLATE fails while any other
        // session, such as a parallel test file, is connected to the template).
        const store = await openPostgresStore(pool, { ...opts, migrationsFolder, close })
        return { name: 'postgres', store, close: () => store.close() }
      } catch (err) {
        await close()
        throw err
      }
    }
  }
}

/** Both backends; postgres: TEST_DATABASE_URL, else testcontainers (dynamic import in try/catch), else skip with the reason. */
export async function backends (opts: BackendOptions = {}): Promise<BackendHarness[]> {
  return [pgliteBackend(opts), await postgresBackend(opts)]
}
