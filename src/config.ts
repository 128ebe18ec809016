/**
 * Configuration from the environment, validated once at start-up. A bad value stops
 * the process with a message naming the variable; nothing reads `process.env` after this.
 */
import { isIP } from 'node:net'

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const
export type LogLevel = typeof LOG_LEVELS[number]

export interface Config {
  port: number
  host: string
  /** A `postgres://` URL; `undefined` means the embedded PGlite in `dataDir`. */
  databaseUrl: string | undefined
  dataDir: string
  /** The root key's secret; `undefined` means generated on first start (its hash stored). */
  rootKey: string | undefined
  logLevel: LogLevel
  /** The PDP identifier of the AuthZEN metadata: an absolute URL with no trailing slash, query or fragment. */
  publicUrl: string
  /** Largest request body accepted, in bytes. */
  bodyLimit: number
  /** How often tenants in memory are checked against the database, in ms (the safety net under LISTEN/NOTIFY); 0 disables it. */
  pollMs: number
  /** How long a tenant state refresh or the revision poll may keep failing before `/readyz` answers 503, in ms. */
  staleAfterMs: number
  /** Tenants whose state (policy and subjects) is kept in memory. */
  maxTenants: number
  /** Stored resources kept in memory, all tenants together. */
  resourceCacheSize: number
  /** Tenant keys kept in memory. */
  keyCacheSize: number
  /** Unknown key ids remembered (10 s each), so that a repeated one costs no query. */
  unknownKeyCacheSize: number
  /** Failed authentications a client may make per `authFailureWindowMs` before it gets 429s; 0: no limit. */
  authFailureLimit: number
  /** The window of `authFailureLimit`, in ms. */
  authFailureWindowMs: number
  /**
   * Which peers' `X-Forwarded-For` names the client (Fastify's `trustProxy`): `false`, the
   * TCP peer is the client; `true`, every peer is trusted; or addresses and CIDR ranges of
   * the proxies (and `loopback`, `linklocal`, `uniquelocal`).
   */
  trustProxy: boolean | string[]
  /** MiB (estimated) of search's cached ACL facts, all tenants together; 0 keeps none. */
  searchFactsCacheMb: number
  /** The port of `GET /metrics` (src/http/metrics-server.ts); `undefined`: no metrics served, none counted. */
  metricsPort: number | undefined
  /** The address the metrics port binds: loopback unless opened on purpose. */
  metricsHost: string
  /** When set, a scrape must send `Authorization: Bearer <token>`. */
  metricsToken: string | undefined
}

/** Thrown by `loadConfig`; `problems` lists every bad variable, one line each. */
export class ConfigError extends Error {
  readonly problems: string[]

  constructor (problems: string[]) {
    super(`invalid configuration: ${problems.join('; ')}`)
    this.name = 'ConfigError'
    this.problems = problems
  }
}

type Env = Record<string, string | undefined>

const MIN_ROOT_KEY_LENGTH = 16

/**
 * Reads and validates the configuration. Empty variables count as unset.
 * Throws ConfigError listing every problem at once.
 */
export function loadConfig (env: Env = process.env): Config {
  const problems: string[] = []
  const get = (name: string): string | undefined => {
    const value = env[name]?.trim()
    return value === undefined || value === '' ? undefined : value
  }

  const port = readInteger(get('PORT'), 'PORT', { min: 0, max: 65535, fallback: 8080 }, problems)
  const host = get('HOST') ?? '0.0.0.0'

  const databaseUrl = get('DATABASE_URL')
  if (databaseUrl !== undefined && !isPostgresUrl(databaseUrl)) {
    problems.push('`DATABASE_URL` must be a `postgres://` or `postgresql://` URL')
  }

  const dataDir = get('GATEHOUSE_DATA_DIR') ?? './data'

  const rootKey = get('GATEHOUSE_ROOT_KEY')
  if (rootKey !== undefined && (rootKey.length < MIN_ROOT_KEY_LENGTH || /\s/.test(rootKey))) {
    problems.push(`\`GATEHOUSE_ROOT_KEY\` must be at least ${MIN_ROOT_KEY_LENGTH} characters with no spaces`)
  }

  const logLevelRaw = get('LOG_LEVEL') ?? 'info'
  const logLevel = (LOG_LEVELS as readonly string[]).includes(logLevelRaw) ? logLevelRaw as LogLevel : 'info'
  if (logLevel !== logLevelRaw) {
    problems.push(`\`LOG_LEVEL\` must be one of ${LOG_LEVELS.join(', ')}, not \`${logLevelRaw}\``)
  }

  const publicUrlRaw = get('GATEHOUSE_PUBLIC_URL') ?? `http://localhost:${port}`
  const publicUrl = normalizePublicUrl(publicUrlRaw)
  if (publicUrl === undefined) {
    problems.push(`\`GATEHOUSE_PUBLIC_URL\` must be an absolute http(s) URL with no query or fragment, not \`${publicUrlRaw}\``)
  }

  const bodyLimit = readInteger(get('BODY_LIMIT'), 'BODY_LIMIT', { min: 1024, max: 64 * 1024 * 1024, fallback: 1024 * 1024 }, problems)

  const pollMs = readInteger(get('GATEHOUSE_POLL_MS'), 'GATEHOUSE_POLL_MS', { min: 0, max: 3_600_000, fallback: 5000 }, problems)
  const staleAfterMs = readInteger(get('GATEHOUSE_STALE_AFTER_MS'), 'GATEHOUSE_STALE_AFTER_MS', { min: 1000, max: 3_600_000, fallback: 30_000 }, problems)

  const maxTenants = readInteger(get('GATEHOUSE_MAX_TENANTS'), 'GATEHOUSE_MAX_TENANTS', { min: 1, max: 10_000_000, fallback: 10_000 }, problems)
  const resourceCacheSize = readInteger(get('GATEHOUSE_RESOURCE_CACHE'), 'GATEHOUSE_RESOURCE_CACHE', { min: 1, max: 100_000_000, fallback: 50_000 }, problems)
  const keyCacheSize = readInteger(get('GATEHOUSE_KEY_CACHE'), 'GATEHOUSE_KEY_CACHE', { min: 1, max: 10_000_000, fallback: 10_000 }, problems)
  const unknownKeyCacheSize = readInteger(get('GATEHOUSE_UNKNOWN_KEY_CACHE'), 'GATEHOUSE_UNKNOWN_KEY_CACHE', { min: 1, max: 10_000_000, fallback: 10_000 }, problems)
  const authFailureLimit = readInteger(get('GATEHOUSE_AUTH_FAILURES'), 'GATEHOUSE_AUTH_FAILURES', { min: 0, max: 1_000_000, fallback: DEFAULT_AUTH_FAILURE_LIMIT }, problems)
  const authFailureWindowMs = readInteger(get('GATEHOUSE_AUTH_FAILURE_WINDOW_MS'), 'GATEHOUSE_AUTH_FAILURE_WINDOW_MS', { min: 1000, max: 86_400_000, fallback: DEFAULT_AUTH_FAILURE_WINDOW_MS }, problems)
  const trustProxy = readTrustProxy(get('GATEHOUSE_TRUST_PROXY'), problems)
  const searchFactsCacheMb = readInteger(get('GATEHOUSE_SEARCH_FACTS_MB'), 'GATEHOUSE_SEARCH_FACTS_MB', { min: 0, max: 1_000_000, fallback: 64 }, problems)

  const metricsPortRaw = get('GATEHOUSE_METRICS_PORT')
  const metricsPort = metricsPortRaw === undefined ? undefined : readInteger(metricsPortRaw, 'GATEHOUSE_METRICS_PORT', { min: 0, max: 65535, fallback: 0 }, problems)
  if (metricsPort !== undefined && metricsPort !== 0 && metricsPort === port) problems.push('`GATEHOUSE_METRICS_PORT` must differ from `PORT`: metrics are never served on the API\'s port')
  const metricsHost = get('GATEHOUSE_METRICS_HOST') ?? '127.0.0.1'
  const metricsToken = get('GATEHOUSE_METRICS_TOKEN')
  if (metricsToken !== undefined && (metricsToken.length < MIN_ROOT_KEY_LENGTH || /\s/.test(metricsToken))) {
    problems.push(`\`GATEHOUSE_METRICS_TOKEN\` must be at least ${MIN_ROOT_KEY_LENGTH} characters with no spaces`)
  }

  if (problems.length > 0) throw new ConfigError(problems)
  return { port, host, databaseUrl, dataDir, rootKey, logLevel, publicUrl: publicUrl ?? '', bodyLimit, pollMs, staleAfterMs, maxTenants, resourceCacheSize, keyCacheSize, unknownKeyCacheSize, authFailureLimit, authFailureWindowMs, trustProxy, searchFactsCacheMb, metricsPort, metricsHost, metricsToken }
}

/** Failed authentications per client and window: enough for a mistyped key, too few to guess anything. */
export const DEFAULT_AUTH_FAILURE_LIMIT = 20
export const DEFAULT_AUTH_FAILURE_WINDOW_MS = 60_000

const PROXY_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal'])

/** `GATEHOUSE_TRUST_PROXY`: `true`, `false`, or a comma-separated list of addresses, CIDR ranges and proxy-addr's names. */
function readTrustProxy (raw: string | undefined, problems: string[]): boolean | string[] {
  if (raw === undefined || raw === 'false') return false
  if (raw === 'true') return true
  const entries = raw.split(',').map(entry => entry.trim())
  const bad = entries.filter(entry => !PROXY_NAMES.has(entry) && !isAddressOrRange(entry))
  if (bad.length > 0) {
    problems.push(`\`GATEHOUSE_TRUST_PROXY\` must be \`true\`, \`false\` or a comma-separated list of addresses, CIDR ranges, \`loopback\`, \`linklocal\` or \`uniquelocal\`, not \`${bad.join(', ')}\``)
    return false
  }
  return entries
}

function isAddressOrRange (entry: string): boolean {
  const [address = '', prefix, ...rest] = entry.split('/')
  const family = isIP(address)
  if (family === 0 || rest.length > 0) return false
  if (prefix === undefined) return true
  // A mask in prefix length only: proxy-addr's dotted masks are rarely what is meant.
  return /^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128)
}

function readInteger (raw: string | undefined, name: string, opts: { min: number, max: number, fallback: number }, problems: string[]): number {
  if (raw === undefined) return opts.fallback
  const value = /^\d+$/.test(raw) ? Number(raw) : Number.NaN
  if (!Number.isSafeInteger(value) || value < opts.min || value > opts.max) {
    problems.push(`\`${name}\` must be an integer from ${opts.min} to ${opts.max}, not \`${raw}\``)
    return opts.fallback
  }
  return value
}

function isPostgresUrl (raw: string): boolean {
  try {
    const url = new URL(raw)
    return url.protocol === 'postgres:' || url.protocol === 'postgresql:'
  } catch {
    return false
  }
}

/** The URL without a trailing slash, or `undefined` when it is not a usable PDP identifier. */
function normalizePublicUrl (raw: string): string | undefined {
  let url: URL
  try {
    url = new URL(raw)
  } catch {
    return undefined
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined
  if (url.search !== '' || url.hash !== '' || raw.includes('?') || raw.includes('#')) return undefined
  if (url.username !== '' || url.password !== '') return undefined
  return url.toString().replace(/\/+$/, '')
}
