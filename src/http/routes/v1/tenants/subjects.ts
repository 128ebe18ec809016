/** `PUT`, `GET`, `DELETE /v1/tenants/{tenant}/subjects/{id}`. */
import type { FastifyInstance } from 'fastify'
import type { SubjectBody } from '../../../../service/index.js'
import { etag, writeOptions } from '../../../revision.js'
import { subjectBodySchema, subjectResponseSchema } from '../../../schemas/subject.js'
import { AUTH_ERRORS, BODY_ERRORS, clientIdSchema, errorResponses, tenantIdSchema, withEtag, writeHeadersSchema } from '../../../schemas/common.js'

interface Params { tenant: string, id: string }

const paramsSchema = {
  type: 'object',
  required: ['tenant', 'id'],
  additionalProperties: false,
  properties: { tenant: tenantIdSchema, id: { ...clientIdSchema, description: 'the subject id (not an alias)' } }
} as const

export async function subjectRoutes (app: FastifyInstance): Promise<void> {
  const config = { access: { kind: 'tenant', scope: 'admin' } } as const

  app.put<{ Params: Params, Body: SubjectBody }>('/v1/tenants/:tenant/subjects/:id', {
    config,
    schema: {
      tags: ['subjects'],
      operationId: 'putSubject',
      summary: 'Create or replace a subject',
      description: 'Checked against the current policy (roles, flags, modules and actions must exist). An alias already used by another subject is a 409.',
      params: paramsSchema,
      headers: writeHeadersSchema,
      body: subjectBodySchema,
      response: {
        200: withEtag(subjectResponseSchema, 'the subject was replaced'),
        201: withEtag(subjectResponseSchema, 'the subject was created'),
        ...errorResponses(...BODY_ERRORS, ...AUTH_ERRORS, 'tenant_not_found', 'conflict', 'revision_mismatch')
      }
    }
  }, async (request, reply) => {
    const { subject, created, revision } = await app.services.admin.putSubject(request.params.tenant, request.params.id, request.body, writeOptions(request))
    return etag(reply, revision).code(created ? 201 : 200).send(subject)
  })

  app.get<{ Params: Params }>('/v1/tenants/:tenant/subjects/:id', {
    config,
    schema: {
      tags: ['subjects'],
      operationId: 'getSubject',
      summary: 'Read a subject',
      params: paramsSchema,
      response: {
        200: withEtag(subjectResponseSchema, 'the subject'),
        ...errorResponses('validation_failed', ...AUTH_ERRORS, 'tenant_not_found', 'not_found')
      }
    }
  }, async (request, reply) => {
    const { subject, revision } = await app.services.admin.getSubject(request.params.tenant, request.params.id)
    return etag(reply, revision).send(subject)
  })

  app.post<{ Params: Params }>('/v1/tenants/:tenant/subjects/:id/transfer-ownership', {
    config,
    schema: {
      tags: ['subjects'],
      operationId: 'transferOwnership',
      summary: 'Make this subject the account owner (done by the current owner)',
      description: 'The only way ownership moves: `Gatehouse-Actor` must name the current owner. The former owner keeps its roles and loses `owner`, in the same write.',
      params: paramsSchema,
      headers: writeHeadersSchema,
      response: {
        200: withEtag({ type: 'object', required: ['owner', 'revision'], additionalProperties: false, properties: { owner: { type: 'string' }, revision: { type: 'integer' } } }, 'ownership moved'),
        ...errorResponses('validation_failed', ...AUTH_ERRORS, 'tenant_not_found', 'not_found', 'revision_mismatch')
      }
    }
  }, async (request, reply) => {
    const { revision } = await app.services.admin.transferOwnership(request.params.tenant, request.params.id, writeOptions(request))
    return etag(reply, revision).send({ owner: request.params.id, revision })
  })

  app.delete<{ Params: Params }>('/v1/tenants/:tenant/subjects/:id', {
    config,
    schema: {
      tags: ['subjects'],
      operationId: 'deleteSubject',
      summary: 'Delete a subject',
      params: paramsSchema,
      headers: writeHeadersSchema,
      response: {
        204: withEtag({ type: 'null' }, 'the subject was deleted'),
        ...errorResponses('validation_failed', ...AUTH_ERRORS, 'tenant_not_found', 'not_found', 'revision_mismatch')
      }
    }
  }, async (request, reply) => {
    const { revision } = await app.services.admin.deleteSubject(request.params.tenant, request.params.id, writeOptions(request))
    return etag(reply, revision).code(204).send()
  })
}
