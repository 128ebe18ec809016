/**
 * What the work nobody waits for is doing: the refreshes that bring tenant states up to
 * other replicas' writes, the revision poll and the change feed. A failure there has no
 * request to fail, so it would go unseen while the process keeps answering from a state
 * that is no longer true. Here every such failure is logged, counted (`counters`, for a
 * metrics scrape) and remembered until the same work succeeds again; a tenant state or a
 * poll failing for longer than `staleAfterMs` makes the process not ready (`problems`,
 * read by `/readyz`), so that a load balancer sends the traffic to a replica that is
 * up to date.
 */
import { ServiceError, StoreError } from './errors.js'
import { Buckets } from './tallies.js'

/** How long a refresh or the poll may keep failing before the process reports not ready (`GATEHOUSE_STALE_AFTER_MS`). */
export const DEFAULT_STALE_AFTER_MS = 30_000

/** The logger methods used here (pino's signature); the service is handed the app's logger. */
export interface BackgroundLog {
  warn: (obj: object, msg: string) => void
}

export type BackgroundWork = 'refresh' | 'poll' | 'feed'

/** Upper bounds of the propagation lag histogram, in seconds: a healthy feed is in the first few. */
export const LAG_BOUNDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300]

export interface BackgroundCounters {
  /** Failures since start, by kind of work. */
  failures: Record<BackgroundWork, number>
  /** Tenant states whose last refresh failed (none has succeeded since). */
  staleTenants: number
}

interface Failing {
  /** When the work started failing (the first failure since its last success). */
  since: number
  error: string
}

export class Background {
  readonly #log: BackgroundLog | undefined
  readonly #staleAfterMs: number
  readonly #now: () => number
  readonly #failures: Record<BackgroundWork, number> = { refresh: 0, poll: 0, feed: 0 }
  readonly #tenants = new Map<string, Failing>()
  #poll: Failing | undefined
  /**
   * Seconds from another replica's write (its audit entry's time, the database's clock) to
   * its being applied here (this process's clock): skew between the two adds to it.
   */
  readonly lag = new Buckets(LAG_BOUNDS)

  constructor (opts: { log?: BackgroundLog, staleAfterMs?: number, now?: () => number } = {}) {
    this.#log = opts.log
    this.#staleAfterMs = opts.staleAfterMs ?? DEFAULT_STALE_AFTER_MS
    this.#now = opts.now ?? Date.now
  }

  get staleAfterMs (): number {
    return this.#staleAfterMs
  }

  /** A refresh of the tenant's state failed: it keeps answering from the state it has. */
  refreshFailed (tenantId: string, err: unknown): void {
    this.#failures.refresh++
    const failing = this.#tenants.get(tenantId)
    this.#tenants.set(tenantId, { since: failing?.since ?? this.#now(), error: describe(err) })
    this.#log?.warn({ err, tenant: tenantId, failingSince: new Date(failing?.since ?? this.#now()).toISOString() }, 'tenant state refresh failed: it answers from its last state')
  }

  /** The tenant's state is up to date again, or no longer held (forgotten, evicted, deleted). */
  refreshed (tenantId: string): void {
    this.#tenants.delete(tenantId)
  }

  /** Every tenant state was dropped: none is stale any more. */
  allDropped (): void {
    this.#tenants.clear()
  }

  /** Another replica's write, made at `at`, is now applied to this process's state of its tenant. */
  applied (at: Date): void {
    this.lag.observe(Math.max(0, this.#now() - at.getTime()) / 1000)
  }

  pollFailed (err: unknown): void {
    this.#failures.poll++
    this.#poll = { since: this.#poll?.since ?? this.#now(), error: describe(err) }
    this.#log?.warn({ err, failingSince: new Date(this.#poll.since).toISOString() }, 'revision poll failed: other replicas\' writes may go unseen')
  }

  polled (): void {
    this.#poll = undefined
  }

  /** The change feed lost its connection (it reconnects by itself; `/readyz` reports it down meanwhile). */
  feedFailed (err: unknown): void {
    this.#failures.feed++
    this.#log?.warn({ err }, 'change feed connection lost: reconnecting')
  }

  counters (): BackgroundCounters {
    return { failures: { ...this.#failures }, staleTenants: this.#tenants.size }
  }

  /**
   * Why the process is not ready, one line each: tenant states and the poll failing for
   * longer than the bound. Tenants are counted, never named: `/readyz` is public.
   * `[]` when ready.
   */
  problems (): string[] {
    const now = this.#now()
    const out: string[] = []
    let stale = 0
    let oldest: Failing | undefined
    for (const failing of this.#tenants.values()) {
      if (now - failing.since <= this.#staleAfterMs) continue
      stale++
      if (oldest === undefined || failing.since < oldest.since) oldest = failing
    }
    if (oldest !== undefined) {
      out.push(`${stale} tenant ${stale === 1 ? 'state has' : 'states have'} failed to refresh for more than ${this.#staleAfterMs} ms ` +
        `(the oldest since ${new Date(oldest.since).toISOString()}: ${oldest.error})`)
    }
    if (this.#poll !== undefined && now - this.#poll.since > this.#staleAfterMs) {
      out.push(`the revision poll has failed since ${new Date(this.#poll.since).toISOString()}: ${this.#poll.error}`)
    }
    return out
  }
}

/** A failure as `/readyz` may show it: store and service errors say nothing secret; anything else is named only in the log. */
function describe (err: unknown): string {
  if (err instanceof StoreError || err instanceof ServiceError) return err.message
  return 'unexpected error (see the log)'
}
