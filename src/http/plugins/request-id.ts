/**
 * `X-Request-ID`: an incoming value is kept (AuthZEN: the PDP must echo it), else a
 * random UUID is generated; either way it is echoed on the response and labels every
 * log line of the request (Fastify's per-request child logger).
 */
import { randomUUID } from 'node:crypto'
import type { IncomingMessage } from 'node:http'
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'

const ACCEPTABLE = /^[\x21-\x7e]{1,200}$/

/** The request id for Fastify's `genReqId`: the client's `X-Request-ID` when usable, else a new UUID. */
export function requestIdOf (req: IncomingMessage): string {
  const header = req.headers['x-request-id']
  return typeof header === 'string' && ACCEPTABLE.test(header) ? header : randomUUID()
}

export const requestIdPlugin = fp(async function requestId (app: FastifyInstance) {
  // A callback hook, not an async one: no promise per request for one header.
  app.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id)
    done()
  })
}, { name: 'gatehouse-request-id', fastify: '5.x' })
