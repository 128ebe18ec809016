/**
 * gatehouse's log: one pino logger owned by the app, not by Fastify. Fastify's request
 * logging builds a child logger for every request and listens for the end of every
 * response even when nothing is written at the configured level, a cost every decision
 * paid (docs/benchmarks.md, "Where the time goes"). Here a request pays only for the lines it
 * writes: one `request completed` line per request when `info` is enabled, error lines
 * when something fails. Every request-scoped line names its request (`reqId`, the
 * `X-Request-ID` the caller sent or was sent back).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { pino } from 'pino'
import type { Logger } from 'pino'
import type { LogLevel } from '../config.js'

export type { Logger }

declare module 'fastify' {
  interface FastifyInstance {
    /** The service's logger (Fastify's own `log` is silent: see `src/http/logger.ts`). */
    readonly logger: Logger
  }
}

/** The logger of a process: JSON lines on stdout at `level`; every `err` field through `loggableError`. */
export function createLogger (level: LogLevel): Logger {
  return pino({ level, serializers: { err: loggableError } })
}

const WITHHELD = '(withheld from the log: it may quote request data)'

/** A driver or drizzle error, whose message quotes the query and its parameters. */
function quotesQuery (err: Error): boolean {
  return 'params' in err || err.message.startsWith('Failed query:')
}

interface LoggedError { type: string, message: string, code?: string, stack?: string, cause?: LoggedError }

/**
 * The error as the log gets it. A database error's message carries the SQL and its
 * parameters (drizzle's `Failed query: … params: …`), that is, request data: an attacker
 * who can cause one would write what he likes into the error log, and keys or personal
 * data could land there. So causes are logged by type and code only, never by message.
 */
export function loggableError (err: unknown): LoggedError | unknown {
  if (!(err instanceof Error)) return err
  const withheld = quotesQuery(err)
  const logged: LoggedError = { type: err.name, message: withheld ? WITHHELD : err.message }
  const code = (err as { code?: unknown }).code
  if (typeof code === 'string') logged.code = code
  // The stack's first line repeats the message.
  if (err.stack !== undefined) logged.stack = withheld ? err.stack.split('\n').filter(line => /^\s+at /.test(line)).join('\n') : err.stack
  let tail = logged
  let cause: unknown = err.cause
  for (let depth = 0; depth < 8 && typeof cause === 'object' && cause !== null; depth++) {
    const c = cause as { name?: unknown, code?: unknown, cause?: unknown }
    tail.cause = { type: typeof c.name === 'string' ? c.name : 'Error', message: WITHHELD }
    if (typeof c.code === 'string') tail.cause.code = c.code
    tail = tail.cause
    cause = c.cause
  }
  return logged
}

/**
 * The line's fields that say which request it belongs to. `url` is the path only: a query
 * string is the client's to fill (a key pasted into it would otherwise land in the log).
 */
export function requestFields (request: FastifyRequest): { reqId: string, method: string, url: string } {
  const url = request.url
  const query = url.indexOf('?')
  return { reqId: request.id, method: request.method, url: query < 0 ? url : url.slice(0, query) }
}

/**
 * Puts `logger` on the instance and, when `info` is enabled (decided at start), logs one
 * line per finished request: method, path, status and time, never a header, a query
 * string or a body.
 */
export const loggingPlugin = fp(async function logging (app: FastifyInstance, opts: { logger: Logger }) {
  const { logger } = opts
  app.decorate('logger', logger)
  if (!logger.isLevelEnabled('info')) return
  app.addHook('onResponse', (request: FastifyRequest, reply: FastifyReply, done: () => void) => {
    logger.info({ ...requestFields(request), statusCode: reply.statusCode, responseTime: reply.elapsedTime }, 'request completed')
    done()
  })
}, { name: 'gatehouse-logging', fastify: '5.x' })
