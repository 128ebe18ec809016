/**
 * Tenant revisions on the wire: every response of a tenant route carries the revision
 * as `ETag` (quoted), and a write's `If-Match` becomes the store's `ifRevision`.
 */
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { WriteOptions } from '../service/index.js'

/**
 * The write options of a request: `If-Match: "7"` (also `7`, `W/"7"`) → `ifRevision: 7`;
 * `*` or no header → no condition. The route's header schema has checked the shape.
 */
export function writeOptions (request: FastifyRequest): WriteOptions {
  const header = request.headers['if-match']
  if (typeof header !== 'string') return {}
  const match = /^\s*(?:W\/)?"?([0-9]+)"?\s*$/.exec(header)
  return match?.[1] === undefined ? {} : { ifRevision: Number(match[1]) }
}

/** Sets the `ETag` of a tenant response. */
export function etag (reply: FastifyReply, revision: number): FastifyReply {
  return reply.header('etag', `"${revision}"`)
}
