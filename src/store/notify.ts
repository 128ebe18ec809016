/**
 * The change feed: every write transaction sends `pg_notify(CHANGES_CHANNEL, payload)`,
 * delivered to every listener when it commits, so that each replica learns of the others'
 * writes within milliseconds (ADR 0003). On PostgreSQL the listener is a dedicated
 * `pg.Client` (a pooled connection cannot keep a LISTEN); it never reconnects by itself,
 * and notifications sent while it is down are lost (../shared/TOOLCHAIN.md §6), so this
 * module reconnects with backoff, keeps exactly one listener, sends a heartbeat to notice
 * a silent partition, and reports each (re)connection so that the caller resynchronises
 * everything it cached. PGlite delivers notifications inside its own process only; an
 * embedded database has no other replicas to hear from.
 */
import type { PGlite } from '@electric-sql/pglite'
import pg from 'pg'

export const CHANGES_CHANNEL = 'gatehouse_changes'

/** The payload of a change: the tenant and the revision its write produced. */
export function changePayload (tenantId: string, revision: number): string {
  return JSON.stringify({ t: tenantId, r: revision })
}

export interface ChangeHandlers {
  /** A write committed: `tenantId` is at `revision` at least. */
  onChange: (tenantId: string, revision: number) => void
  /** The feed went down (`up: false`) or came up (`up: true`, also after every reconnect: notifications may have been missed). */
  onStatus: (up: boolean) => void
  /** Why the connection was lost or could not be made (it is retried); for the caller to log and count. */
  onError?: (err: unknown) => void
}

export type StopFeed = () => Promise<void>

function parse (payload: string | undefined): { t: string, r: number } | undefined {
  try {
    const value = JSON.parse(payload ?? '') as unknown
    if (typeof value !== 'object' || value === null) return undefined
    const { t, r } = value as Record<string, unknown>
    return typeof t === 'string' && typeof r === 'number' ? { t, r } : undefined
  } catch {
    return undefined
  }
}

const MIN_BACKOFF_MS = 100
const MAX_BACKOFF_MS = 2000
const HEARTBEAT_MS = 10_000

/** Listens on PostgreSQL through a dedicated connection, reconnecting until stopped. */
export async function listenPostgres (config: pg.ClientConfig, handlers: ChangeHandlers): Promise<StopFeed> {
  let stopped = false
  let current: pg.Client | undefined
  let retry: NodeJS.Timeout | undefined
  let heartbeat: NodeJS.Timeout | undefined
  let backoff = MIN_BACKOFF_MS

  const lost = (client: pg.Client, err?: unknown): void => {
    // INVARIANT: one listener at a time. A failed connect also emits `end`, so only the
    // current client's loss schedules a reconnect, and only one is ever pending.
    if (stopped || client !== current) return
    handlers.onError?.(err ?? new Error('the listener connection ended'))
    current = undefined
    clearInterval(heartbeat)
    handlers.onStatus(false)
    // Closing a connection already lost: its own failure says nothing more.
    client.end().catch(() => {})
    retry ??= setTimeout(() => {
      retry = undefined
      // `connect` reports its failures through `lost` and never rejects.
      connect().catch(() => {})
    }, backoff)
    backoff = Math.min(backoff * 2, MAX_BACKOFF_MS)
  }

  const connect = async (): Promise<void> => {
    if (stopped) return
    const client = new pg.Client({ ...config, keepAlive: true, application_name: 'gatehouse-listener' })
    current = client
    client.on('error', err => lost(client, err))
    client.on('end', () => lost(client))
    client.on('notification', message => {
      const change = parse(message.payload)
      if (change !== undefined) handlers.onChange(change.t, change.r)
    })
    try {
      await client.connect()
      await client.query(`LISTEN ${CHANGES_CHANNEL}`)
    } catch (err) {
      lost(client, err)
      return
    }
    if (stopped || client !== current) return
    backoff = MIN_BACKOFF_MS
    heartbeat = setInterval(() => { client.query('select 1').catch((err: unknown) => lost(client, err)) }, HEARTBEAT_MS)
    heartbeat.unref()
    handlers.onStatus(true)
  }

  await connect()
  return async () => {
    stopped = true
    clearTimeout(retry)
    clearInterval(heartbeat)
    const client = current
    current = undefined
    await client?.end().catch(() => {})
  }
}

/** Listens inside the process that owns the PGlite instance. */
export async function listenPglite (client: PGlite, handlers: ChangeHandlers): Promise<StopFeed> {
  const unsubscribe = await client.listen(CHANGES_CHANNEL, payload => {
    const change = parse(payload)
    if (change !== undefined) handlers.onChange(change.t, change.r)
  })
  handlers.onStatus(true)
  return async () => { await unsubscribe() }
}
