/**
 * The database harness shared by the store conformance suite and the HTTP tests.
 *
 * - PGlite: one instance per test file (an instance costs 400-800 MB), loaded from the
 *   template that `test/setup/pglite-template.ts` dumps before the run. Every `open()`
 *   in the file returns a new Store on that one instance; tests isolate themselves by
 *   minting fresh tenant ids, never by truncating.
 * - Postgres: `TEST_DATABASE_URL` when set (CI: an unreachable server makes `open()`
 *   throw, so the run fails instead of skipping), else a PostgreSQL 15 container through
 *   testcontainers, else skipped with the reason. Every `open()` creates and migrates a
 *   fresh database `gatehouse_test_<random>`, dropped by `close()`.
 */
import { createHash, randomBytes } from 'node:crypto'
import { readFile, readdir } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { dirname, join, relative } from 'node:path'
import { PGlite } from '@electric-sql/pglite'
import pg from 'pg'
import { findMigrationsFolder, guardPool, migratePglite, openPgliteStore, openPostgresStore } from '../../src/store/connect.js'
import type { Store } from '../../src/store/store.js'

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
const repoRoot = dirname(migrationsFolder)

/** Where the `before` script leaves the migrated PGlite data directory (a fixed path: env vars set in `before` do not reach test files). */
export const PGLITE_TEMPLATE = join(repoRoot, '.tap', 'pglite-template.tar')
/** Beside the template: the hash of what it was built from. */
export const PGLITE_TEMPLATE_STAMP = join(repoRoot, '.tap', 'pglite-template.stamp')

/** A hash of the migrations folder and the PGlite version: the template is rebuilt when it changes. */
export async function pgliteTemplateStamp (): Promise<string> {
  const hash = createHash('sha256')
  const pkg = createRequire(import.meta.url).resolve('@electric-sql/pglite')
  let dir = dirname(pkg)
  while (!(await readdir(dir)).includes('package.json')) dir = dirname(dir)
  hash.update(JSON.parse(await readFile(join(dir, 'package.json'), 'utf8')).version as string)
  const files = (await readdir(migrationsFolder, { recursive: true, withFileTypes: true }))
    .filter(e => e.isFile())
    .map(e => join(e.parentPath, e.name))
    .sort()
  for (const file of files) {
    hash.update(`\0${relative(migrationsFolder, file)}\0`)
    hash.update(await readFile(file))
  }
  return hash.digest('hex')
}

let sharedPglite: Promise<PGlite> | undefined

/** This file's PGlite instance: from the template when there is one, else created and migrated here. */
async function pgliteInstance (): Promise<PGlite> {
  sharedPglite ??= (async () => {
    const template = await readFile(PGLITE_TEMPLATE).catch(() => undefined)
    const client = template === undefined
      ? await PGlite.create()
      : await PGlite.create({ loadDataDir: new Blob([template]) })
    // A no-op on an up-to-date template; applies whatever is newer otherwise.
    await migratePglite(client, migrationsFolder)
    return client
  })()
  return sharedPglite
}

export function pgliteBackend (): BackendHarness {
  return {
    name: 'pglite',
    skip: false,
    capabilities: { concurrentWriters: false },
    async open () {
      const client = await pgliteInstance()
      // The instance outlives the store: it serves every open() of this file and goes with the process.
      const store = await openPgliteStore(client, { migrate: false, close: async () => {} })
      return { name: 'pglite', store, close: () => store.close() }
    }
  }
}

function errorMessage (err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}

function postgresHarness (serverUrl: () => Promise<string>): BackendHarness {
  return {
    name: 'postgres',
    skip: false,
    capabilities: { concurrentWriters: true },
    async open () {
      const base = await serverUrl()
      const database = `gatehouse_test_${randomBytes(6).toString('hex')}`
      await adminQuery(base, `create database "${database}"`)
      const url = new URL(base)
      url.pathname = `/${database}`
      const pool = new pg.Pool({ connectionString: url.toString(), max: 25 })
      guardPool(pool)
      const drop = async (): Promise<void> => {
        await pool.end().catch(() => {})
        await adminQuery(base, `drop database if exists "${database}" with (force)`)
      }
      try {
        const store = await openPostgresStore(pool, { migrationsFolder, close: drop })
        return { name: 'postgres', store, close: () => store.close() }
      } catch (err) {
        await drop()
        throw err
      }
    }
  }
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

let container: Promise<{ url: string, stop: () => Promise<unknown> }> | undefined

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
    return { url: started.getConnectionUri(), stop: () => started.stop() }
  })()
  return (await container).url
}

export async function postgresBackend (): Promise<BackendHarness> {
  const url = process.env.TEST_DATABASE_URL
  if (url !== undefined && url !== '') return postgresHarness(async () => url)
  try {
    // Dynamic imports, so that a testcontainers that cannot even load is a skip too.
    await import('@testcontainers/postgresql')
    const { getContainerRuntimeClient } = await import('testcontainers')
    await getContainerRuntimeClient()
  } catch (err) {
    const reason = `no TEST_DATABASE_URL and testcontainers unavailable: ${errorMessage(err)}`
    return {
      name: 'postgres',
      skip: reason,
      capabilities: { concurrentWriters: true },
      open: async () => { throw new Error(reason) }
    }
  }
  return postgresHarness(containerUrl)
}

/** Both backends; postgres: TEST_DATABASE_URL, else testcontainers (dynamic import in try/catch), else skip with the reason. */
export async function backends (): Promise<BackendHarness[]> {
  return [pgliteBackend(), await postgresBackend()]
}
