/** `POST /v1/tenants/{tenant}/keys`: mint a key bound to the tenant (root key only). */
import type { FastifyInstance } from 'fastify'
import type { KeyScope } from '../../../../service/index.js'
import { etag, writeOptions } from '../../../revision.js'
import { keyBodySchema, keyResponseSchema } from '../../../schemas/admin.js'
import { AUTH_ERRORS, BODY_ERRORS, errorResponses, tenantParamsSchema, withEtag, writeHeadersSchema } from '../../../schemas/common.js'

export async function keyRoutes (app: FastifyInstance): Promise<void> {
  app.post<{ Params: { tenant: string }, Body: { scopes: KeyScope[] } }>('/v1/tenants/:tenant/keys', {
    config: { access: { kind: 'root' } },
    schema: {
      tags: ['tenants'],
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
    const key = await app.services.admin.createKey(request.params.tenant, request.body.scopes, writeOptions(request))
    return etag(reply, key.revision).code(201).send(key)
  })
}
