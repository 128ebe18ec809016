/** `PUT /v1/tenants/{tenant}` (root key: create or rename) and `GET /v1/tenants/{tenant}`. */
import type { FastifyInstance } from 'fastify'
import { etag, writeOptions } from '../../../revision.js'
import { tenantBodySchema, tenantResponseSchema } from '../../../schemas/admin.js'
import { AUTH_ERRORS, BODY_ERRORS, errorResponses, tenantParamsSchema, withEtag, writeHeadersSchema } from '../../../schemas/common.js'

interface Params { tenant: string }

export async function tenantRoutes (app: FastifyInstance): Promise<void> {
  app.put<{ Params: Params, Body: { name?: string } }>('/v1/tenants/:tenant', {
    config: { access: { kind: 'root' } },
    // A bodiless PUT creates the tenant with its defaults.
    preValidation: async request => { request.body ??= {} },
    schema: {
      tags: ['tenants'],
      operationId: 'putTenant',
      summary: 'Create a tenant, or rename it (root key only)',
      description: '`If-Match: "0"` creates only if the tenant does not exist yet.',
      params: tenantParamsSchema,
      headers: writeHeadersSchema,
      body: tenantBodySchema,
      response: {
        200: withEtag(tenantResponseSchema, 'the tenant was renamed'),
        201: withEtag(tenantResponseSchema, 'the tenant was created'),
        ...errorResponses(...BODY_ERRORS, ...AUTH_ERRORS, 'revision_mismatch')
      }
    }
  }, async (request, reply) => {
    const { tenant, created } = await app.services.admin.putTenant(request.params.tenant, request.body, writeOptions(request))
    return etag(reply, tenant.revision).code(created ? 201 : 200).send(tenant)
  })

  app.get<{ Params: Params }>('/v1/tenants/:tenant', {
    config: { access: { kind: 'tenant', scope: 'admin' } },
    schema: {
      tags: ['tenants'],
      operationId: 'getTenant',
      summary: 'Read a tenant and its current revision',
      params: tenantParamsSchema,
      response: {
        200: withEtag(tenantResponseSchema, 'the tenant'),
        ...errorResponses('validation_failed', ...AUTH_ERRORS, 'tenant_not_found')
      }
    }
  }, async (request, reply) => {
    const tenant = await app.services.admin.getTenant(request.params.tenant)
    return etag(reply, tenant.revision).send(tenant)
  })
}
