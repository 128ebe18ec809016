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

/** The logger of a process: JSON lines on stdout at `level`. */
export function createLogger (level: LogLevel): Logger {
  return pino({ level })
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
