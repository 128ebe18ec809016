/**
 * `/v1/tenants/{tenant}/keys`: mint a key bound to the tenant (root key only: DESIGN §3),
 * list the tenant's keys without their secrets, and revoke one (scope `admin`, so that an
 * ops team can cut a leaked key without the root key).
 */
import type { FastifyInstance } from 'fastify'
import type { ActorMode, KeyScope } from '../../../../service/index.js'
import { etag, writeOptions } from '../../../revision.js'
import { keyBodySchema, keyListResponseSchema, keyParamsSchema, keyResponseSchema, keyRevokedResponseSchema } from '../../../schemas/admin.js'
import { AUTH_ERRORS, BODY_ERRORS, errorResponses, tenantParamsSchema, withEtag, writeHeadersSchema } from '../../../schemas/common.js'

export async function keyRoutes (app: FastifyInstance): Promise<void> {
  app.post<{ Params: { tenant: string }, Body: { scopes: KeyScope[], actor?: ActorMode } }>('/v1/tenants/:tenant/keys', {
    config: { access: { kind: 'root' } },
    schema: {
      tags: ['keys'],
      operationId: 'createKey',
      summary: 'Create an API key bound to the tenant (root key only)',
      description: 'The answer holds the key\'s `secret` (the whole bearer token); it is shown once, only its hash is stored.',
      params: tenantParamsSchema,
      headers: writeHeadersSchema,
      body: keyBodySchema,
      response: {
        201: withEtag(keyResponseSchema, 'the key, with its secret'),
        ...errorResponses(...BODY_ERRORS, ...AUTH_ERRORS, 'tenant_not_found', 'revision_mismatch')
      }
    }
  }, async (request, reply) => {
    const key = await app.services.admin.createKey(request.params.tenant, request.body.scopes, { ...writeOptions(request), ...(request.body.actor === undefined ? {} : { actor: request.body.actor }) })
    return etag(reply, key.revision).code(201).send(key)
  })

  app.get<{ Params: { tenant: string } }>('/v1/tenants/:tenant/keys', {
    config: { access: { kind: 'tenant', scope: 'admin' } },
    schema: {
      tags: ['keys'],
      operationId: 'listKeys',
      summary: 'List the tenant\'s keys (never their secrets)',
      params: tenantParamsSchema,
      response: {
        200: withEtag(keyListResponseSchema, 'the keys, oldest first'),
        ...errorResponses('validation_failed', ...AUTH_ERRORS, 'tenant_not_found')
      }
    }
  }, async (request, reply) => {
    const { keys, revision } = await app.services.admin.listKeys(request.params.tenant)
    return etag(reply, revision).send({ keys })
  })

  app.delete<{ Params: { tenant: string, id: string } }>('/v1/tenants/:tenant/keys/:id', {
    config: { access: { kind: 'tenant', scope: 'admin' } },
    schema: {
      tags: ['keys'],
      operationId: 'revokeKey',
      summary: 'Revoke a key of the tenant',
      description: 'The key stops authenticating at once. Revoking a revoked key answers 200 and keeps its first `revokedAt`; a key the tenant does not have is a 404.',
      params: keyParamsSchema,
      headers: writeHeadersSchema,
      response: {
        200: withEtag(keyRevokedResponseSchema, 'the key, revoked'),
        ...errorResponses('validation_failed', ...AUTH_ERRORS, 'tenant_not_found', 'not_found', 'revision_mismatch')
      }
    }
  }, async (request, reply) => {
    const { key, revision } = await app.services.admin.revokeKey(request.params.tenant, request.params.id, writeOptions(request))
    return etag(reply, revision).send({ key, revision })
  })
}
