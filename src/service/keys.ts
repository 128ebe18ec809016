/**
 * API keys: minting, hashing, and turning a bearer token into a principal.
 *
 * A tenant key's token is `gh_<keyid>_<secret>`: the key id is 12 random bytes in hex
 * (no `_`), the secret 32 random bytes in base64url. Only `sha256:<hex>` of the secret
 * is stored; with 256 random bits a salt or a slow hash adds nothing. The root key is
 * either `GATEHOUSE_ROOT_KEY` (compared in memory, never stored) or generated once,
 * `gh_root_<secret>`, and then only the hash of the whole token is stored.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import type { ActorMode, ApiKey, KeyScope, Store } from '../store/store.js'
import { Lru } from './lru.js'
import { cacheCounts } from './tallies.js'
import { TenantGenerations } from './tenant-generations.js'

export const KEY_SCOPES: readonly KeyScope[] = ['check', 'admin', 'audit']

/** Who made a request: the root key, or a key bound to one tenant with scopes. */
export type Principal =
  | { kind: 'root' }
  | { kind: 'tenant', keyId: string, tenantId: string, scopes: readonly KeyScope[], actor: ActorMode }

const TOKEN_PREFIX = 'gh_'
const KEY_ID_PATTERN = /^[0-9a-f]{24}$/
const SECRET_PATTERN = /^[A-Za-z0-9_-]{43}$/

/** `sha256:<hex>` of a secret. */
export function hashSecret (secret: string): string {
  return `sha256:${createHash('sha256').update(secret, 'utf8').digest('hex')}`
}

/** Constant-time comparison of a presented secret with a stored `sha256:<hex>` hash. */
export function secretMatches (secret: string, storedHash: string): boolean {
  const presented = Buffer.from(hashSecret(secret), 'utf8')
  const stored = Buffer.from(storedHash, 'utf8')
  return presented.length === stored.length && timingSafeEqual(presented, stored)
}

/** A new tenant key: the token to show once, and what to store. */
export function mintKey (): { keyId: string, token: string, secretHash: string } {
  const keyId = randomBytes(12).toString('hex')
  const secret = randomBytes(32).toString('base64url')
  return { keyId, token: `${TOKEN_PREFIX}${keyId}_${secret}`, secretHash: hashSecret(secret) }
}

/** Where a tenant key token's parts are: `gh_`, 24 hex digits, `_`, 43 base64url characters. */
const KEY_ID_START = TOKEN_PREFIX.length
const KEY_ID_END = KEY_ID_START + 24
const SECRET_START = KEY_ID_END + 1
const KEY_TOKEN_LENGTH = SECRET_START + 43

/**
 * The key id of a token shaped like a tenant key (length, prefix and separator only: the
 * id is checked by the cache lookup, the secret by the comparison with the stored one).
 */
function keyIdOf (token: string): string | undefined {
  return token.length === KEY_TOKEN_LENGTH && token.startsWith(TOKEN_PREFIX) && token.charCodeAt(KEY_ID_END) === 0x5f
    ? token.slice(KEY_ID_START, KEY_ID_END)
    : undefined
}

/** The key id and secret of a tenant key token, or `undefined` when the token has another shape. */
export function parseKeyToken (token: string): { keyId: string, secret: string } | undefined {
  const keyId = keyIdOf(token)
  if (keyId === undefined) return undefined
  const secret = token.slice(SECRET_START)
  if (!KEY_ID_PATTERN.test(keyId) || !SECRET_PATTERN.test(secret)) return undefined
  return { keyId, secret }
}

/**
 * Makes sure a root key exists. With a configured key nothing is stored. Otherwise the
 * stored hash is used, or a key is generated and its hash stored; `generated` is the
 * token to print, set only in the process whose hash won (two replicas starting at
 * once agree on one key through `initRootKeyHash`).
 */
export async function ensureRootKey (store: Store, configured: string | undefined): Promise<{ generated?: string }> {
  if (configured !== undefined) return {}
  if (await store.getRootKeyHash() !== undefined) return {}
  const token = `${TOKEN_PREFIX}root_${randomBytes(32).toString('base64url')}`
  const hash = hashSecret(token)
  const stored = await store.initRootKeyHash(hash)
  return stored === hash ? { generated: token } : {}
}

/** How long a key id found unknown is answered from memory (ms): the bound on how late a key created elsewhere may be seen when no change reached this process. */
export const UNKNOWN_KEY_TTL_MS = 10_000

export interface KeyRingOptions {
  store: Store
  /** `GATEHOUSE_ROOT_KEY`; when unset, the stored hash of the generated root key is used. */
  rootKey: string | undefined
  /** How many tenant keys to keep in memory. */
  cacheSize?: number
  /** How many unknown key ids to remember (default 10,000). */
  unknownCacheSize?: number
  /** How long an unknown key id is remembered, in ms (default `UNKNOWN_KEY_TTL_MS`). */
  unknownTtlMs?: number
  /** The clock of the unknown ids' expiry, in ms (tests); default `performance.now`. */
  now?: () => number
}

/** A key as cached: the stored record, and the secret once a request has proved it. */
interface CachedKey {
  readonly key: ApiKey
  /** The principal a request with this key acts as (one object per key, not per request). */
  readonly principal: Principal
  /** The key's tenant generation when it was cached: an entry of an older one is reread. */
  readonly generation: number
  /**
   * The presented secret whose hash matched, kept so that the next requests compare it
   * in constant time instead of hashing again: one hash per key and process, not per
   * request. The process sees every secret in its requests anyway.
   */
  verified?: string
}

const ROOT: Principal = Object.freeze({ kind: 'root' })

/**
 * Hashed against the secret presented with an unknown key id, so that refusing it does
 * the same work as refusing a known id's wrong secret (no key's secret hashes to it).
 */
const NO_KEY_HASH = hashSecret(randomBytes(32).toString('base64url'))

/** An unknown key id as remembered: until when, and under which epoch of `forgetTenant`/`forgetAll`. */
interface UnknownKey {
  readonly expires: number
  readonly epoch: number
}

/** The key's principal when `secret` is its secret and it is not revoked, else `undefined`. */
function verify (cached: CachedKey, secret: string): Principal | undefined {
  if (cached.key.revokedAt !== null) return undefined
  if (cached.verified === undefined || !sameSecret(secret, cached.verified)) {
    if (!secretMatches(secret, cached.key.secretHash)) return undefined
    cached.verified = secret
  }
  return cached.principal
}

/**
 * Constant-time comparison of a presented secret with one already verified: every
 * character is compared whatever the first difference; only a difference in length ends
 * it early, as with `timingSafeEqual`. In JavaScript, to spare a buffer and a call into
 * C++ on every request.
 */
function sameSecret (presented: string, verified: string): boolean {
  if (presented.length !== verified.length) return false
  let difference = 0
  for (let i = 0; i < verified.length; i++) difference |= presented.charCodeAt(i) ^ verified.charCodeAt(i)
  return difference === 0
}

/**
 * Authenticates bearer tokens. Keys are cached by id once read (id → tenant, scopes,
 * hash), so a warm check never waits on the store.
 *
 * Key ids the store does not hold are remembered too, a bounded number for a short time
 * (`unknownTtlMs`), so that a token presented again and again costs one query, not one
 * per request (unauthenticated traffic must not be able to load the database). A key
 * created elsewhere with a remembered id is still usable at once: ids are 96 random bits
 * minted at creation, so only someone who presented the id before it existed can have
 * made it remembered, and the creation's change (`forget(id)` from the caught-up audit
 * log, `forgetTenant` or `forgetAll` when the writes are not known one by one) voids the
 * entry; without any change reaching this process the entry lapses after `unknownTtlMs`.
 *
 * Timing: a refused id answers from memory when it is in memory, known or not, and after
 * one query when it is not; both refusals hash the presented secret once. What timing
 * can still tell is whether an id was presented to this process lately, one probe per id
 * and TTL, within the failed-authentication limit; it cannot find an id (96 random bits),
 * and a known id still needs its 256-bit secret.
 */
export class KeyRing {
  readonly #store: Store
  readonly #rootHash: string | undefined
  #storedRootHash: string | undefined
  #verifiedRoot: string | undefined
  readonly #keys: Lru<string, CachedKey>
  readonly #generations = new TenantGenerations()
  /** How many times cached keys were forgotten: a read that saw it change is not cached. */
  #forgotten = 0
  readonly #unknown: Lru<string, UnknownKey>
  readonly #unknownTtlMs: number
  readonly #now: () => number
  /**
   * Bumped by `forgetTenant` and `forgetAll`: an unknown id has no tenant, so a tenant's
   * key writes void every remembered unknown id, by one increment instead of a walk.
   */
  #unknownEpoch = 0
  /** Tenant keys authenticated from memory, a remembered unknown id included (hits), or read from the store (misses). */
  readonly counts = cacheCounts()

  constructor (opts: KeyRingOptions) {
    this.#store = opts.store
    this.#rootHash = opts.rootKey === undefined ? undefined : hashSecret(opts.rootKey)
    this.#keys = new Lru(opts.cacheSize ?? 10_000)
    this.#unknown = new Lru(opts.unknownCacheSize ?? 10_000)
    this.#unknownTtlMs = opts.unknownTtlMs ?? UNKNOWN_KEY_TTL_MS
    this.#now = opts.now ?? (() => performance.now())
  }

  /** How many unknown key ids are remembered (bounded by `unknownCacheSize`). */
  get unknownCount (): number {
    return this.#unknown.size
  }

  /** The principal of a token, or `undefined` when the token is not a valid, unrevoked key. */
  authenticate (token: string): Principal | undefined | Promise<Principal | undefined> {
    const keyId = keyIdOf(token)
    if (keyId !== undefined) {
      const cached = this.#keys.get(keyId)
      if (cached !== undefined && cached.generation === this.#generations.of(cached.key.tenantId)) {
        this.counts.hits++
        const tenant = verify(cached, token.slice(SECRET_START))
        if (tenant !== undefined) return tenant
      } else if (cached === undefined && this.#isUnknown(keyId)) {
        this.counts.hits++
        secretMatches(token.slice(SECRET_START), NO_KEY_HASH)
      } else {
        const parsed = parseKeyToken(token)
        if (parsed !== undefined) {
          this.counts.misses++
          return this.#authenticateLater(token, parsed)
        }
      }
    }
    // A configured root key may have any shape, even a tenant key's.
    if (this.#verifiedRoot !== undefined && sameSecret(token, this.#verifiedRoot)) return ROOT
    return this.#rootLater(token)
  }

  /** `authenticate` when the key must be read from the store first. */
  async #authenticateLater (token: string, parsed: { keyId: string, secret: string }): Promise<Principal | undefined> {
    const forgotten = this.#forgotten
    const key = await this.#store.getKey(parsed.keyId)
    // A key forgotten while it was read (revoked elsewhere, say) may have been read before
    // that write: it answers this request, which raced the write, but is not cached. So
    // with an unknown id: a creation learnt of during the read may have come after it.
    if (key === undefined && forgotten === this.#forgotten) {
      this.#unknown.set(parsed.keyId, { expires: this.#now() + this.#unknownTtlMs, epoch: this.#unknownEpoch })
    }
    const tenant = key === undefined ? undefined : verify(forgotten === this.#forgotten ? this.#cache(key) : this.#entry(key), parsed.secret)
    return tenant ?? await this.#rootLater(token)
  }

  /** Whether the store was found not to hold `keyId` lately (an expired or voided entry is dropped). */
  #isUnknown (keyId: string): boolean {
    const unknown = this.#unknown.get(keyId)
    if (unknown === undefined) return false
    if (unknown.epoch === this.#unknownEpoch && unknown.expires > this.#now()) return true
    this.#unknown.delete(keyId)
    return false
  }

  async #rootLater (token: string): Promise<Principal | undefined> {
    if (this.#verifiedRoot !== undefined && sameSecret(token, this.#verifiedRoot)) return ROOT
    const rootHash = this.#rootHash ?? await this.#loadStoredRootHash()
    if (rootHash === undefined || !secretMatches(token, rootHash)) return undefined
    this.#verifiedRoot = token
    return ROOT
  }

  /**
   * Voids every cached key of a tenant (another replica changed its keys), so that each is
   * reread on its next use; and every remembered unknown id, since one may be a key just
   * created in that tenant.
   */
  forgetTenant (tenantId: string): void {
    this.#forgotten++
    this.#generations.bump(tenantId)
    this.#unknownEpoch++
  }

  /** Drops every cached key and unknown id (after missed notifications). */
  forgetAll (): void {
    this.#forgotten++
    this.#keys.clear()
    this.#unknownEpoch++
    this.#unknown.clear()
  }

  /**
   * Drops a key id from the cache, known or unknown (after a write to that key here or
   * elsewhere: a revocation, a creation), so that its next use rereads it.
   */
  forget (keyId: string): void {
    this.#forgotten++
    this.#keys.delete(keyId)
    this.#unknown.delete(keyId)
  }

  /** Records a key this process just wrote, so its first use needs no query. */
  remember (key: ApiKey): void {
    this.#unknown.delete(key.id)
    this.#cache(key)
  }

  #cache (key: ApiKey): CachedKey {
    const cached = this.#entry(key)
    this.#keys.set(key.id, cached)
    return cached
  }

  #entry (key: ApiKey): CachedKey {
    const principal: Principal = Object.freeze({ kind: 'tenant', keyId: key.id, tenantId: key.tenantId, scopes: key.scopes, actor: key.actor })
    return { key, principal, generation: this.#generations.of(key.tenantId) }
  }

  async #loadStoredRootHash (): Promise<string | undefined> {
    if (this.#storedRootHash === undefined) this.#storedRootHash = await this.#store.getRootKeyHash()
    return this.#storedRootHash
  }
}
