/**
 * `PUT`, `GET`, `DELETE /v1/tenants/{tenant}/resources/{type}/{id}`: stored resources;
 * `GET /v1/tenants/{tenant}/resources/{type}`: a module's stored resources, a page at a time.
 */
import type { FastifyInstance } from 'fastify'
import type { ResourceProperties } from '../../../../service/index.js'
import { etag, writeOptions } from '../../../revision.js'
import { resourceListQuerySchema, resourceListResponseSchema, resourcePropertiesSchema, resourceResponseSchema } from '../../../schemas/admin.js'
import { AUTH_ERRORS, BODY_ERRORS, clientIdSchema, errorResponses, tenantIdSchema, withEtag, writeHeadersSchema } from '../../../schemas/common.js'

interface Params { tenant: string, type: string, id: string }
interface ListParams { tenant: string, type: string }
interface ListQuery { limit?: string, after?: string }

const listParamsSchema = {
  type: 'object',
  required: ['tenant', 'type'],
  additionalProperties: false,
  properties: {
    tenant: tenantIdSchema,
    type: { ...clientIdSchema, description: 'the module' }
  }
} as const

const paramsSchema = {
  type: 'object',
  required: ['tenant', 'type', 'id'],
  additionalProperties: false,
  properties: {
    tenant: tenantIdSchema,
    type: { ...clientIdSchema, description: 'the module' },
    id: { ...clientIdSchema, description: 'the resource id' }
  }
} as const

export async function resourceRoutes (app: FastifyInstance): Promise<void> {
  const config = { access: { kind: 'tenant', scope: 'admin' } } as const

  app.put<{ Params: Params, Body: ResourceProperties }>('/v1/tenants/:tenant/resources/:type/:id', {
    config,
    schema: {
      tags: ['resources'],
      operationId: 'putResource',
      summary: 'Store a resource\'s properties',
      description: 'The body is the properties object: `project`, `parent`, `acl`, and one key per relation of the module. ' +
        'Checked strictly against the module of the current policy.',
      params: paramsSchema,
      headers: writeHeadersSchema,
      body: resourcePropertiesSchema,
      response: {
        200: withEtag(resourceResponseSchema, 'the resource was replaced'),
        201: withEtag(resourceResponseSchema, 'the resource was created'),
        ...errorResponses(...BODY_ERRORS, ...AUTH_ERRORS, 'tenant_not_found', 'no_policy', 'revision_mismatch')
      }
    }
  }, async (request, reply) => {
    const { type, id, tenant } = request.params
    const { resource, created, revision } = await app.services.admin.putResource(tenant, type, id, request.body, writeOptions(request))
    return etag(reply, revision).code(created ? 201 : 200).send(resource)
  })

  app.get<{ Params: ListParams, Querystring: ListQuery }>('/v1/tenants/:tenant/resources/:type', {
    config,
    schema: {
      tags: ['resources'],
      operationId: 'listResources',
      summary: 'List a module\'s stored resources, a page at a time',
      description: 'Every stored resource of the module, by id in the store\'s order, each with its properties as `getResource` shows them. ' +
        'An unknown module has none (an empty page). Page with `after` set to the previous page\'s `next`; ' +
        'pages are not a snapshot: writes between two pages may add or remove resources.',
      params: listParamsSchema,
      querystring: resourceListQuerySchema,
      response: {
        200: withEtag(resourceListResponseSchema, 'one page of resources'),
        ...errorResponses('validation_failed', ...AUTH_ERRORS, 'tenant_not_found')
      }
    }
  }, async (request, reply) => {
    const { limit, after } = request.query
    const page = await app.services.admin.listResources(request.params.tenant, request.params.type, {
      ...(limit === undefined ? {} : { limit: Number(limit) }),
      ...(after === undefined ? {} : { after })
    })
    return etag(reply, page.revision).send({ resources: page.resources, next: page.next })
  })

  app.get<{ Params: Params }>('/v1/tenants/:tenant/resources/:type/:id', {
    config,
    schema: {
      tags: ['resources'],
      operationId: 'getResource',
      summary: 'Read a stored resource',
      params: paramsSchema,
      response: {
        200: withEtag(resourceResponseSchema, 'the resource'),
        ...errorResponses('validation_failed', ...AUTH_ERRORS, 'tenant_not_found', 'not_found')
      }
    }
  }, async (request, reply) => {
    const { type, id, tenant } = request.params
    const { resource, revision } = await app.services.admin.getResource(tenant, type, id)
    return etag(reply, revision).send(resource)
  })

  app.delete<{ Params: Params }>('/v1/tenants/:tenant/resources/:type/:id', {
    config,
    schema: {
      tags: ['resources'],
      operationId: 'deleteResource',
      summary: 'Delete a stored resource',
      params: paramsSchema,
      headers: writeHeadersSchema,
      response: {
        204: withEtag({ type: 'null' }, 'the resource was deleted'),
        ...errorResponses('validation_failed', ...AUTH_ERRORS, 'tenant_not_found', 'not_found', 'revision_mismatch')
      }
    }
  }, async (request, reply) => {
    const { type, id, tenant } = request.params
    const { revision } = await app.services.admin.deleteResource(tenant, type, id, writeOptions(request))
    return etag(reply, revision).code(204).send()
  })
}
