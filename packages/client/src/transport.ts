/**
 * One HTTP exchange with gatehouse over Node's `fetch`: a timeout per attempt, and retries
 * with exponential backoff (full jitter) on what a retry can cure (a network error, a
 * timeout, a 503) and never on an answer about the request itself (4xx). Writes that are
 * not idempotent (admin `POST`) are retried on 503 only: a connection lost after sending
 * may have applied them.
 */
import { GatehouseError } from './errors.js'

export interface TransportOptions {
  /** gatehouse's base URL, e.g. `http://gatehouse:8080`. */
  url: string
  /** The key sent as `Authorization: Bearer <key>`. */
  key: string
  /** Per attempt, in ms. Default 2000. */
  timeoutMs?: number
  /** Retries after the first attempt. Default 2. */
  retries?: number
  /** The first backoff, in ms, doubled at each retry (and jittered). Default 50. */
  backoffMs?: number
  /** The longest backoff, in ms. Default 1000. */
  maxBackoffMs?: number
  /** Headers sent with every request (a tracing header, say). */
  headers?: Record<string, string>
  /** The `fetch` to use; default `globalThis.fetch`. */
  fetch?: typeof fetch
}

export interface Exchange {
  method: 'GET' | 'PUT' | 'POST' | 'DELETE'
  /** The path and query, from the base URL's root: `/access/v1/evaluation`. */
  path: string
  body?: unknown
  headers?: Record<string, string>
  /** Whether a network error or a timeout may be retried (false for writes that are not idempotent). */
  idempotent: boolean
}

export interface Answer {
  status: number
  headers: Headers
  /** The parsed JSON body, or the text when the body is not JSON (a CSV export, say). */
  body: unknown
}

const DEFAULTS = { timeoutMs: 2000, retries: 2, backoffMs: 50, maxBackoffMs: 1000 }

export class Transport {
  readonly #base: string
  readonly #key: string
  readonly #opts: typeof DEFAULTS
  readonly #headers: Record<string, string>
  readonly #fetch: typeof fetch

  constructor (options: TransportOptions) {
    this.#base = options.url.replace(/\/+$/, '')
    this.#key = options.key
    this.#opts = {
      timeoutMs: options.timeoutMs ?? DEFAULTS.timeoutMs,
      retries: options.retries ?? DEFAULTS.retries,
      backoffMs: options.backoffMs ?? DEFAULTS.backoffMs,
      maxBackoffMs: options.maxBackoffMs ?? DEFAULTS.maxBackoffMs
    }
    this.#headers = { ...options.headers }
    this.#fetch = options.fetch ?? globalThis.fetch
  }

  /**
   * Sends the exchange until it gets an answer worth returning. Resolves with a 2xx
   * answer; throws `GatehouseError` otherwise (`refused` for an error answer,
   * `unavailable` when no answer came, `invalid_response` for a body that is not JSON).
   */
  async send (exchange: Exchange): Promise<Answer> {
    const attempts = this.#opts.retries + 1
    for (let attempt = 1; ; attempt++) {
      if (attempt > 1) await sleep(this.#backoff(attempt - 1))
      let res: Response
      try {
        res = await this.#fetch(this.#base + exchange.path, {
          method: exchange.method,
          headers: {
            ...this.#headers,
            ...exchange.headers,
            authorization: `Bearer ${this.#key}`,
            ...(exchange.body === undefined ? {} : { 'content-type': 'application/json' })
          },
          body: exchange.body === undefined ? undefined : JSON.stringify(exchange.body),
          signal: AbortSignal.timeout(this.#opts.timeoutMs)
        })
      } catch (err) {
        const timedOut = err instanceof Error && err.name === 'TimeoutError'
        const why = timedOut ? `no answer within ${this.#opts.timeoutMs} ms` : `network error: ${describe(err)}`
        const error = new GatehouseError('unavailable', `gatehouse unavailable: ${why} (${exchange.method} ${exchange.path}, ${attempt} attempt${attempt > 1 ? 's' : ''})`, { attempts: attempt, cause: err })
        if (!exchange.idempotent || attempt === attempts) throw error
        continue
      }
      const answer = await readAnswer(res, exchange, attempt)
      if (res.ok) return answer
      if (res.status !== 503 || attempt === attempts) throw refusal(answer, exchange, attempt)
    }
  }

  #backoff (retry: number): number {
    const ceiling = Math.min(this.#opts.maxBackoffMs, this.#opts.backoffMs * 2 ** (retry - 1))
    // Full jitter: clients that failed together do not retry together.
    return Math.random() * ceiling
  }
}

async function readAnswer (res: Response, exchange: Exchange, attempt: number): Promise<Answer> {
  let text: string
  try {
    text = await res.text()
  } catch (err) {
    throw new GatehouseError('unavailable', `gatehouse unavailable: the answer was cut: ${describe(err)} (${exchange.method} ${exchange.path})`, { status: res.status, attempts: attempt, cause: err })
  }
  const type = res.headers.get('content-type') ?? ''
  if (!type.includes('json')) return { status: res.status, headers: res.headers, body: text }
  try {
    return { status: res.status, headers: res.headers, body: text === '' ? undefined : JSON.parse(text) as unknown }
  } catch (err) {
    throw new GatehouseError('invalid_response', `gatehouse answered malformed json (${exchange.method} ${exchange.path}, status ${res.status})`, { status: res.status, attempts: attempt, cause: err })
  }
}

function refusal (answer: Answer, exchange: Exchange, attempt: number): GatehouseError {
  const body = answer.body as { code?: unknown, message?: unknown, details?: unknown } | undefined
  const code = typeof body?.code === 'string' ? body.code : undefined
  const message = typeof body?.message === 'string' ? body.message : `status ${answer.status}`
  const kind = answer.status === 503 ? 'unavailable' : 'refused'
  return new GatehouseError(kind, `gatehouse answered ${answer.status}${code === undefined ? '' : ` \`${code}\``}: ${message} (${exchange.method} ${exchange.path})`, {
    status: answer.status,
    ...(code === undefined ? {} : { code }),
    details: Array.isArray(body?.details) ? body.details : [],
    attempts: attempt
  })
}

function describe (err: unknown): string {
  if (!(err instanceof Error)) return String(err)
  // undici puts the system error (ECONNREFUSED...) in `cause`.
  const cause = err.cause instanceof Error ? `: ${err.cause.message}` : ''
  return err.message + cause
}

async function sleep (ms: number): Promise<void> {
  await new Promise(resolve => setTimeout(resolve, ms))
}
