/**
 * `GET /v1/tenants/{tenant}/audit`: the audit log, oldest first, filtered and paged; needs
 * the `audit` scope (an `admin` key alone may not read it). The log has no other route:
 * nothing can change or delete an entry.
 */
import type { FastifyInstance } from 'fastify'
import { ENTITY_TYPES } from '../../../../service/index.js'
import { etag } from '../../../revision.js'
import { AUTH_ERRORS, decimalAtMost, errorResponses, MAX_INT4, tenantParamsSchema, withEtag } from '../../../schemas/common.js'

interface Query { entity_type?: string, entity_id?: string, since?: string, until?: string, limit?: string, after?: string }

const querySchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    entity_type: { type: 'string', enum: ENTITY_TYPES },
    entity_id: { type: 'string', minLength: 1, description: 'a subject id, a role name, `module/id` for a resource, a key id…' },
    since: { type: 'string', minLength: 1, description: 'ISO 8601 date-time: entries at or after it' },
    until: { type: 'string', minLength: 1, description: 'ISO 8601 date-time: entries before it' },
    limit: { type: 'string', pattern: '^(?:[1-9][0-9]{0,2}|1000)$', description: 'page size, 1 to 1000 (default 100)' },
    after: { type: 'string', pattern: decimalAtMost(MAX_INT4), description: `the \`next\` of the previous page (a revision, at most ${MAX_INT4})` }
  }
} as const

const entrySchema = {
  type: 'object',
  required: ['revision', 'at', 'keyId', 'actor', 'action', 'entityType', 'entityId', 'before', 'after'],
  additionalProperties: false,
  properties: {
    revision: { type: 'integer', description: 'the tenant revision the write produced' },
    at: { type: 'string', format: 'date-time' },
    keyId: { type: ['string', 'null'], description: 'the key that wrote (`root` for the root key)' },
    actor: { type: ['string', 'null'], description: 'the acting user the caller named, if any' },
    action: { type: 'string', enum: ['put', 'delete', 'create', 'revoke'] },
    entityType: { type: 'string' },
    entityId: { type: 'string' },
    before: { description: 'the entity before the write; `null` when it did not exist' },
    after: { description: 'the entity after the write; `null` when it was deleted' }
  }
} as const

const pageSchema = {
  type: 'object',
  required: ['entries', 'next'],
  additionalProperties: false,
  properties: {
    entries: { type: 'array', items: entrySchema, description: 'oldest first' },
    next: { type: 'string', description: 'pass as `after` for the next page; `""` on the last page' }
  }
} as const

export async function auditRoutes (app: FastifyInstance): Promise<void> {
  app.get<{ Params: { tenant: string }, Querystring: Query }>('/v1/tenants/:tenant/audit', {
    config: { access: { kind: 'tenant', scope: 'audit' } },
    schema: {
      tags: ['audit'],
      operationId: 'listAudit',
      summary: 'Read the audit log (scope `audit`)',
      description: 'One entry per write: who (key, actor), when, what (entity, before, after) and the revision. Filter by entity and time; page with `after`.',
      params: tenantParamsSchema,
      querystring: querySchema,
      response: { 200: withEtag(pageSchema, 'one page of entries'), ...errorResponses('validation_failed', ...AUTH_ERRORS, 'tenant_not_found') }
    }
  }, async (request, reply) => {
    const q = request.query
    const page = await app.services.audit.list(request.params.tenant, {
      ...(q.entity_type === undefined ? {} : { entityType: q.entity_type }),
      ...(q.entity_id === undefined ? {} : { entityId: q.entity_id }),
      ...(q.since === undefined ? {} : { since: q.since }),
      ...(q.until === undefined ? {} : { until: q.until }),
      ...(q.limit === undefined ? {} : { limit: Number(q.limit) }),
      ...(q.after === undefined ? {} : { after: q.after })
    })
    return etag(reply, page.revision).send({ entries: page.entries, next: page.next })
  })
}
