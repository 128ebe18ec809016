import { existsSync } from 'node:fs'
import { mkdir, open, readFile, unlink } from 'node:fs/promises'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { PGlite } from '@electric-sql/pglite'
import { drizzle as drizzleNodePg } from 'drizzle-orm/node-postgres'
import { migrate as migrateNodePg } from 'drizzle-orm/node-postgres/migrator'
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite'
import { migrate as migratePgliteDb } from 'drizzle-orm/pglite/migrator'
import pg from 'pg'
import { StoreUnavailableError, toStoreError } from './errors.js'
import { listenPglite, listenPostgres } from './notify.js'
import { createPgStore } from './pg-store.js'
import type { Store } from './store.js'

export interface OpenStoreOptions {
  /** A `postgres://` (or `postgresql://`) URL; unset or empty: embedded PGlite in `dataDir`. */
  databaseUrl?: string
  /** Where embedded PGlite keeps its files (`<dataDir>/pglite`); created if missing. Unused with a URL. */
  dataDir: string
  /** Default: the repository's `migrations/` folder, found by `findMigrationsFolder()`. */
  migrationsFolder?: string
  /** Postgres only: told of errors on idle pooled connections (server restart, network). Default: ignored. */
  onPoolError?: (err: Error) => void
  /** Postgres only: the pool's maximum number of connections. Default 10. */
  poolSize?: number
}

export interface OpenOnOptions {
  /** Run the migrations first. Default true. */
  migrate?: boolean
  migrationsFolder?: string
  /** What the store's `close()` does. Default: end the pool, or close the PGlite instance. */
  close?: () => Promise<void>
  /** The store's `searchScanWindow` (tests make it small to reach the candidate path). */
  searchScanWindow?: number
}

/** Holds the migrations of every replica that starts at the same time (`pg_advisory_lock`). */
const MIGRATION_LOCK_KEY = 4_716_253_491_830_375

/** The file whose presence marks the migrations folder. */
const JOURNAL = join('migrations', 'meta', '_journal.json')

/**
 * The repository's `migrations/` folder: the nearest one at or above `from` (this file's
 * folder by default). Walking up works the same from `src/store/` (tsx, tap) and from
 * `dist/src/store/` (after `tsc`), and in an image that copies `migrations/` beside `dist/`.
 */
export function findMigrationsFolder (from: string = dirname(fileURLToPath(import.meta.url))): string {
  let dir = resolve(from)
  for (;;) {
    if (existsSync(join(dir, JOURNAL))) return join(dir, 'migrations')
    const up = dirname(dir)
    if (up === dir) throw new Error(`no migrations folder (${JOURNAL}) at or above ${from}`)
    dir = up
  }
}

/**
 * Makes a pool safe to keep: without an `error` listener, an idle connection that the
 * server drops (restart, failover) crashes the process (TOOLCHAIN §6).
 */
export function guardPool (pool: pg.Pool, onError: (err: Error) => void = () => {}): void {
  pool.on('error', onError)
  // A connection that breaks while checked out has no pool listener either. The query in
  // flight fails on its own (and becomes StoreUnavailableError); the pool drops the
  // connection on release because it is no longer queryable.
  pool.on('connect', client => { client.on('error', () => {}) })
}

/**
 * Applies pending migrations, holding a session advisory lock so that replicas starting
 * together migrate one after the other (drizzle's migrator takes no lock itself).
 */
export async function migratePostgres (pool: pg.Pool, migrationsFolder: string = findMigrationsFolder()): Promise<void> {
  let client: pg.PoolClient | undefined
  let ok = false
  try {
    client = await pool.connect()
    await client.query('select pg_advisory_lock($1)', [MIGRATION_LOCK_KEY])
    await migrateNodePg(drizzleNodePg({ client, casing: 'snake_case' }), { migrationsFolder })
    await client.query('select pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY])
    ok = true
  } catch (err) {
    throw toStoreError(err)
  } finally {
    // On failure the connection is destroyed, which also drops its advisory lock.
    client?.release(ok ? undefined : true)
  }
}

/** Applies pending migrations to a PGlite instance (one connection: nothing to lock). */
export async function migratePglite (client: PGlite, migrationsFolder: string = findMigrationsFolder()): Promise<void> {
  try {
    await migratePgliteDb(drizzlePglite({ client, casing: 'snake_case' }), { migrationsFolder })
  } catch (err) {
    throw toStoreError(err)
  }
}

/** A Store on an existing node-postgres pool (tests, or a caller that owns the pool). */
export async function openPostgresStore (pool: pg.Pool, opts: OpenOnOptions = {}): Promise<Store> {
  if (opts.migrate ?? true) await migratePostgres(pool, opts.migrationsFolder)
  return createPgStore(drizzleNodePg({ client: pool, casing: 'snake_case' }), {
    close: opts.close ?? (async () => { await pool.end() }),
    listen: async handlers => await listenPostgres(pool.options, handlers),
    ...(opts.searchScanWindow === undefined ? {} : { searchScanWindow: opts.searchScanWindow })
  })
}

/** A Store on an existing PGlite instance (tests, or a caller that owns the instance). */
export async function openPgliteStore (client: PGlite, opts: OpenOnOptions = {}): Promise<Store> {
  if (opts.migrate ?? true) await migratePglite(client, opts.migrationsFolder)
  return createPgStore(drizzlePglite({ client, casing: 'snake_case' }), {
    close: opts.close ?? (async () => { await client.close() }),
    listen: async handlers => await listenPglite(client, handlers),
    // PGlite runs no autovacuum.
    analyze: true,
    ...(opts.searchScanWindow === undefined ? {} : { searchScanWindow: opts.searchScanWindow })
  })
}

/**
 * Opens the store the service runs on: a node-postgres pool for a `postgres://` URL,
 * else PGlite in `dataDir`. Applies pending migrations before returning.
 * Throws StoreUnavailableError when the database cannot be reached or the data directory
 * is in use by another process.
 */
export async function openStore (opts: OpenStoreOptions): Promise<Store> {
  const url = opts.databaseUrl
  if (url !== undefined && url !== '') {
    // The URL may carry a password: never put it in a message.
    if (!/^postgres(ql)?:\/\//.test(url)) throw new StoreUnavailableError('the database url must start with `postgres://`')
    const pool = new pg.Pool({
      connectionString: url,
      max: opts.poolSize ?? 10,
      connectionTimeoutMillis: 10_000,
      // A transaction left open holds its tenant's row lock and blocks that tenant's writers.
      idle_in_transaction_session_timeout: 60_000,
      application_name: 'gatehouse'
    })
    guardPool(pool, opts.onPoolError)
    try {
      return await openPostgresStore(pool, { migrationsFolder: opts.migrationsFolder })
    } catch (err) {
      await pool.end().catch(() => {})
      throw toStoreError(err)
    }
  }

  try {
    await mkdir(opts.dataDir, { recursive: true })
  } catch (err) {
    throw toStoreError(err)
  }
  const unlock = await lockDataDir(opts.dataDir)
  let client: PGlite | undefined
  try {
    client = await PGlite.create(join(opts.dataDir, 'pglite'))
    const opened = client
    return await openPgliteStore(opened, {
      migrationsFolder: opts.migrationsFolder,
      close: async () => {
        try { await opened.close() } finally { await unlock() }
      }
    })
  } catch (err) {
    await client?.close().catch(() => {})
    await unlock()
    throw toStoreError(err)
  }
}

const lockedDirs = new Set<string>()

function processIsAlive (pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/**
 * PGlite has no lock of its own: two processes on one data directory silently lose
 * writes (TOOLCHAIN §3). A pid file refuses the second one. A lock left by a process that
 * is gone is taken over. Returns the release function.
 */
async function lockDataDir (dataDir: string): Promise<() => Promise<void>> {
  const path = resolve(dataDir, 'gatehouse.lock')
  if (lockedDirs.has(path)) throw new StoreUnavailableError(`data directory \`${dataDir}\` is already open in this process`)
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const file = await open(path, 'wx')
      try { await file.writeFile(`${process.pid}\n`) } finally { await file.close() }
      lockedDirs.add(path)
      return async () => {
        lockedDirs.delete(path)
        await unlink(path).catch(() => {})
      }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw toStoreError(err)
      const pid = Number.parseInt(await readFile(path, 'utf8').catch(() => ''), 10)
      // Our own pid in the file is a leftover of an earlier life of this process id
      // (a restarted container is pid 1 again): this process does not hold it (see above).
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && processIsAlive(pid)) {
        throw new StoreUnavailableError(`data directory \`${dataDir}\` is in use by process ${pid} (lock file \`${path}\`)`)
      }
      await unlink(path).catch(() => {})
    }
  }
  throw new StoreUnavailableError(`could not lock data directory \`${dataDir}\``)
}
