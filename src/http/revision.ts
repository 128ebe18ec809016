/**
 * Tenant revisions on the wire: every response of a tenant route carries the revision
 * as `ETag` (quoted), and a write's `If-Match` becomes the store's `ifRevision`; a write
 * also names its author (the key) for the audit log.
 */
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { WriteOptions } from '../service/index.js'
import { HttpError } from './errors.js'

/**
 * The write options of a request: `If-Match: "7"` (also `7`, `W/"7"`) → `ifRevision: 7`;
 * `*` or no header → no condition. The route's header schema has checked the shape.
 */
export function writeOptions (request: FastifyRequest): WriteOptions {
  const principal = request.principal
  const actor = request.headers['gatehouse-actor']
  if (principal?.kind === 'tenant' && principal.actor === 'required' && typeof actor !== 'string') {
    throw new HttpError('forbidden', 'this key may only write for a named acting user: send `Gatehouse-Actor: <subject id>`', [
      { in: 'headers', path: '/gatehouse-actor', message: 'is required by this key', code: 'actor_required' }
    ])
  }
  // Who writes, for the audit log and the acting-user rules: the key (`root`) and the actor.
  const by = principal === null
    ? {}
    : { by: { keyId: principal.kind === 'root' ? 'root' : principal.keyId, ...(typeof actor === 'string' ? { actor } : {}) } }
  const header = request.headers['if-match']
  if (typeof header !== 'string') return by
  const match = /^\s*(?:W\/)?"?([0-9]+)"?\s*$/.exec(header)
  return match?.[1] === undefined ? by : { ...by, ifRevision: Number(match[1]) }
}

/** Sets the `ETag` of a tenant response. */
export function etag (reply: FastifyReply, revision: number): FastifyReply {
  return reply.header('etag', `"${revision}"`)
}
