/**
 * Keeps this process's caches in step with writes made by other replicas (ADR 0003):
 * the store's change feed (LISTEN/NOTIFY) says which tenant moved to which revision, and
 * a periodic revision poll catches what a lost notification or a dropped connection
 * missed. A tenant found behind is brought up to date in the background (decisions keep
 * answering from the state they have), and the cached resources and keys the writes
 * changed are dropped (all of the tenant's, when it is reloaded whole).
 * After the feed comes back from an outage, every tenant in memory is checked.
 */
import type { Store } from '../store/store.js'
import { forgetTenant } from './apply.js'
import type { Background } from './background.js'
import type { KeyRing } from './keys.js'
import type { ResourceCache } from './resource-cache.js'
import type { TenantStates } from './tenant-state.js'

export const DEFAULT_POLL_MS = 5000

export interface FeedStatus {
  up: boolean
  /** When the feed last changed state (ISO 8601); `undefined` before it started. */
  since: string | undefined
}

export class Propagation {
  readonly #store: Store
  readonly #states: TenantStates
  readonly #resources: ResourceCache
  readonly #keys: KeyRing
  readonly #pollMs: number
  readonly #now: () => Date
  #stop: (() => Promise<void>) | undefined
  #poll: NodeJS.Timeout | undefined
  readonly #background: Background | undefined
  #status: FeedStatus = { up: false, since: undefined }
  #everUp = false

  /** `background`: told of every failure of the poll and the feed, and of the poll succeeding again. */
  constructor (opts: { store: Store, states: TenantStates, resources: ResourceCache, keys: KeyRing, background?: Background, pollMs?: number, now?: () => Date }) {
    this.#store = opts.store
    this.#background = opts.background
    this.#states = opts.states
    this.#resources = opts.resources
    this.#keys = opts.keys
    this.#pollMs = opts.pollMs ?? DEFAULT_POLL_MS
    this.#now = opts.now ?? (() => new Date())
  }

  get status (): FeedStatus {
    return { ...this.#status }
  }

  /** Starts following the feed and polling. Resolves once the feed answered (up or down). */
  async start (): Promise<void> {
    this.#stop = await this.#store.watch({
      onChange: (tenantId, revision) => { this.changed(tenantId, revision) },
      onStatus: up => {
        this.#status = { up, since: this.#now().toISOString() }
        // Notifications sent while the feed was down are lost: check every tenant in memory.
        if (up && this.#everUp) this.#resync()
        if (up) this.#everUp = true
      },
      onError: err => { this.#background?.feedFailed(err) }
    })
    if (this.#pollMs > 0) {
      this.#poll = setInterval(() => { this.#checkInBackground() }, this.#pollMs)
      this.#poll.unref()
    }
  }

  async stop (): Promise<void> {
    clearInterval(this.#poll)
    const stop = this.#stop
    this.#stop = undefined
    await stop?.()
  }

  /**
   * A write produced `revision` for the tenant: refresh what this process holds of it, if
   * it is behind. A tenant in memory is refreshed, which also makes the resource and key
   * caches forget what the writes changed; of a tenant not in memory, only cached
   * resources and keys may remain, and they are all forgotten.
   */
  changed (tenantId: string, revision: number): void {
    const known = this.#states.revisionOf(tenantId)
    // This process's own writes are already applied (and so are older notifications).
    if (known !== undefined && known >= revision) return
    if (known !== undefined) {
      this.#states.refreshInBackground(tenantId)
      return
    }
    forgetTenant({ resources: this.#resources, keys: this.#keys }, tenantId)
  }

  /**
   * After the feed was down: its notifications are lost. Tenants in memory are checked
   * (and refreshed); keys and resources are all forgotten, since some may belong to
   * tenants not in memory, which nothing else would check.
   */
  #resync (): void {
    this.#keys.forgetAll()
    this.#resources.clear()
    this.#checkInBackground()
  }

  /** The poll nobody waits for: its failure is reported (checkAll), never dropped. */
  #checkInBackground (): void {
    this.checkAll().catch(() => { /* reported by `checkAll` */ })
  }

  /** Compares every tenant in memory with its stored revision: the poll's work, run every `pollMs`. */
  async checkAll (): Promise<void> {
    const loaded = this.#states.loaded()
    if (loaded.length === 0) {
      this.#background?.polled()
      return
    }
    let revisions: Map<string, number>
    try {
      revisions = await this.#store.getRevisions(loaded.map(l => l.tenantId))
    } catch (err) {
      this.#background?.pollFailed(err)
      throw err
    }
    this.#background?.polled()
    for (const { tenantId } of loaded) {
      const stored = revisions.get(tenantId)
      if (stored === undefined) this.#states.invalidate(tenantId)
      else this.changed(tenantId, stored)
    }
  }
}
