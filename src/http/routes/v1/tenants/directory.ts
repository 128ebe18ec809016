/**
 * The tenant's people (src/service/directory.ts): `GET /v1/tenants/{tenant}/subjects`
 * (filtered, paged), `/subjects/{id}/overrides`, and `/groups[/{group}]`. Membership is
 * a subject's `groups`; a group lists its members and refuses deletion while it has any.
 */
import type { FastifyInstance } from 'fastify'
import { permissionsCsv } from '../../../../service/index.js'
import type { SubjectFilter } from '../../../../service/index.js'
import { documentMedia } from '../../../media.js'
import { etag, writeOptions } from '../../../revision.js'
import {
  groupBodySchema, groupListResponseSchema, groupResponseSchema, subjectListQuerySchema, subjectListResponseSchema
} from '../../../schemas/admin.js'
import { AUTH_ERRORS, BODY_ERRORS, clientIdSchema, errorResponses, tenantIdSchema, tenantParamsSchema, withEtag, writeHeadersSchema } from '../../../schemas/common.js'
import { overridesSchema } from '../../../schemas/subject.js'

interface IdParams { tenant: string, id: string }
type ListQuery = SubjectFilter & { limit?: string, after?: string }

const idParams = (what: string) => ({
  type: 'object',
  required: ['tenant', 'id'],
  additionalProperties: false,
  properties: { tenant: tenantIdSchema, id: { ...clientIdSchema, description: what } }
}) as const

export async function directoryRoutes (app: FastifyInstance): Promise<void> {
  const config = { access: { kind: 'tenant', scope: 'admin' } } as const

  app.get<{ Params: { tenant: string }, Querystring: ListQuery }>('/v1/tenants/:tenant/subjects', {
    config,
    schema: {
      tags: ['subjects'],
      operationId: 'listSubjects',
      summary: 'List subjects, filtered by role, group or project, a page at a time',
      params: tenantParamsSchema,
      querystring: subjectListQuerySchema,
      response: { 200: withEtag(subjectListResponseSchema, 'one page of subjects'), ...errorResponses('validation_failed', ...AUTH_ERRORS, 'tenant_not_found') }
    }
  }, async (request, reply) => {
    const { limit, after, ...filter } = request.query
    const page = await app.services.directory.listSubjects(request.params.tenant, filter, {
      ...(limit === undefined ? {} : { limit: Number(limit) }),
      ...(after === undefined ? {} : { after })
    })
    return etag(reply, page.revision).send({ subjects: page.subjects, next: page.next })
  })

  app.get<{ Params: IdParams }>('/v1/tenants/:tenant/subjects/:id/overrides', {
    config,
    schema: {
      tags: ['subjects'],
      operationId: 'getOverrides',
      summary: 'Read a subject\'s per-user overrides',
      params: idParams('the subject id'),
      response: { 200: withEtag(overridesSchema, 'the overrides (`{}` when none)'), ...errorResponses('validation_failed', ...AUTH_ERRORS, 'tenant_not_found', 'not_found') }
    }
  }, async (request, reply) => {
    const { overrides, revision } = await app.services.directory.getOverrides(request.params.tenant, request.params.id)
    return etag(reply, revision).send(overrides)
  })

  app.put<{ Params: IdParams, Body: Record<string, unknown> }>('/v1/tenants/:tenant/subjects/:id/overrides', {
    config,
    schema: {
      tags: ['subjects'],
      operationId: 'putOverrides',
      summary: 'Replace a subject\'s per-user overrides',
      description: 'Checked against the policy as a subject write is (unknown flags, modules or actions are a 400).',
      params: idParams('the subject id'),
      headers: writeHeadersSchema,
      body: overridesSchema,
      response: {
        200: withEtag(overridesSchema, 'the overrides were replaced'),
        ...errorResponses(...BODY_ERRORS, ...AUTH_ERRORS, 'tenant_not_found', 'not_found', 'revision_mismatch')
      }
    }
  }, async (request, reply) => {
    const { overrides, revision } = await app.services.directory.putOverrides(request.params.tenant, request.params.id, request.body, writeOptions(request))
    return etag(reply, revision).send(overrides)
  })

  app.delete<{ Params: IdParams }>('/v1/tenants/:tenant/subjects/:id/overrides', {
    config,
    schema: {
      tags: ['subjects'],
      operationId: 'deleteOverrides',
      summary: 'Remove a subject\'s per-user overrides (its roles decide alone again)',
      params: idParams('the subject id'),
      headers: writeHeadersSchema,
      response: {
        204: withEtag({ type: 'null' }, 'the overrides were removed'),
        ...errorResponses('validation_failed', ...AUTH_ERRORS, 'tenant_not_found', 'not_found', 'revision_mismatch')
      }
    }
  }, async (request, reply) => {
    const { revision } = await app.services.directory.putOverrides(request.params.tenant, request.params.id, undefined, writeOptions(request))
    return etag(reply, revision).code(204).send()
  })

  app.get<{ Params: IdParams, Querystring: { format?: 'json' | 'csv' } }>('/v1/tenants/:tenant/subjects/:id/permissions', {
    config: {
      ...config,
      swaggerTransform: documentMedia({ ok: { description: 'the matrix', etag: true, content: { 'application/json': permissionMatrixSchema, 'text/csv': { type: 'string' } } } })
    },
    schema: {
      tags: ['subjects'],
      operationId: 'getPermissions',
      summary: 'A subject\'s effective permissions: modules x actions, with scope, fields and sources',
      description: 'Each cell is what a decision would answer: `scope` is `all`, `none`, or the relations through which the subject reaches a ' +
        'resource; `sources` names the roles that grant it alone (`<project>:<role>` for a project role), `owner`, and `custom` when overrides change it; ' +
        '`fields` are the fields an allowed action shows and lets edit. `projects` repeats the matrix in each project the subject holds roles in. ' +
        'ACLs are per resource and not in the matrix. `?format=csv` (or `Accept: text/csv`) gives one CSV row per cell, for compliance reviews.',
      params: idParams('the subject id'),
      querystring: { type: 'object', additionalProperties: false, properties: { format: { type: 'string', enum: ['json', 'csv'] } } },
      response: errorResponses('validation_failed', ...AUTH_ERRORS, 'tenant_not_found', 'not_found', 'no_policy')
    }
  }, async (request, reply) => {
    const { matrix, revision } = await app.services.directory.permissions(request.params.tenant, request.params.id)
    etag(reply, revision)
    const csv = request.query.format === 'csv' || (request.query.format === undefined && /\btext\/csv\b/.test(request.headers.accept ?? ''))
    if (csv) return reply.type('text/csv; charset=utf-8').header('content-disposition', `attachment; filename="permissions-${request.params.id.replace(/[^A-Za-z0-9_.-]/g, '_')}.csv"`).send(permissionsCsv(matrix))
    return reply.type('application/json; charset=utf-8').send(JSON.stringify(matrix))
  })

  app.get<{ Params: { tenant: string } }>('/v1/tenants/:tenant/groups', {
    config,
    schema: {
      tags: ['subjects'],
      operationId: 'listGroups',
      summary: 'List groups with their members',
      params: tenantParamsSchema,
      response: { 200: withEtag(groupListResponseSchema, 'the groups, by id'), ...errorResponses('validation_failed', ...AUTH_ERRORS, 'tenant_not_found') }
    }
  }, async (request, reply) => {
    const { groups, revision } = await app.services.directory.listGroups(request.params.tenant)
    return etag(reply, revision).send({ groups })
  })

  app.get<{ Params: IdParams }>('/v1/tenants/:tenant/groups/:id', {
    config,
    schema: {
      tags: ['subjects'],
      operationId: 'getGroup',
      summary: 'Read a group and its members',
      params: idParams('the group id'),
      response: { 200: withEtag(groupResponseSchema, 'the group'), ...errorResponses('validation_failed', ...AUTH_ERRORS, 'tenant_not_found', 'not_found') }
    }
  }, async (request, reply) => {
    const { group, revision } = await app.services.directory.getGroup(request.params.tenant, request.params.id)
    return etag(reply, revision).send(group)
  })

  app.put<{ Params: IdParams, Body: { description?: string } }>('/v1/tenants/:tenant/groups/:id', {
    config,
    schema: {
      tags: ['subjects'],
      operationId: 'putGroup',
      summary: 'Create or describe a group',
      description: 'Members are set on each subject (`groups`), and listed here.',
      params: idParams('the group id'),
      headers: writeHeadersSchema,
      body: groupBodySchema,
      response: {
        200: withEtag(groupResponseSchema, 'the group was replaced'),
        201: withEtag(groupResponseSchema, 'the group was created'),
        ...errorResponses(...BODY_ERRORS, ...AUTH_ERRORS, 'tenant_not_found', 'revision_mismatch')
      }
    }
  }, async (request, reply) => {
    const { group, created, revision } = await app.services.directory.putGroup(request.params.tenant, { id: request.params.id, description: request.body.description ?? '' }, writeOptions(request))
    return etag(reply, revision).code(created ? 201 : 200).send(group)
  })

  app.delete<{ Params: IdParams }>('/v1/tenants/:tenant/groups/:id', {
    config,
    schema: {
      tags: ['subjects'],
      operationId: 'deleteGroup',
      summary: 'Delete a group that has no members',
      params: idParams('the group id'),
      headers: writeHeadersSchema,
      response: {
        204: withEtag({ type: 'null' }, 'the group was deleted'),
        ...errorResponses('validation_failed', ...AUTH_ERRORS, 'tenant_not_found', 'not_found', 'conflict', 'revision_mismatch')
      }
    }
  }, async (request, reply) => {
    const { revision } = await app.services.directory.deleteGroup(request.params.tenant, request.params.id, writeOptions(request))
    return etag(reply, revision).code(204).send()
  })
}

const cellSchema = {
  type: 'object',
  required: ['module', 'action', 'scope', 'sources'],
  additionalProperties: false,
  properties: {
    module: { type: 'string' },
    action: { type: 'string' },
    scope: { anyOf: [{ type: 'string', enum: ['all', 'none'] }, { type: 'array', items: { type: 'string' } }] },
    when: { type: 'string', description: 'when the action is granted under conditions: the condition (CEL) the resources of `scope` must meet, as the policy diff writes it; then `fields` is absent (it depends on which condition holds)' },
    sources: { type: 'array', items: { type: 'string' } },
    fields: {
      type: 'object',
      required: ['visible', 'editable'],
      properties: { visible: { type: 'array', items: { type: 'string' } }, editable: { type: 'array', items: { type: 'string' } } }
    }
  }
} as const

const permissionMatrixSchema = {
  type: 'object',
  required: ['subject', 'flags', 'cells', 'projects'],
  properties: {
    subject: { type: 'string' },
    flags: { type: 'array', items: { type: 'string' } },
    cells: { type: 'array', items: cellSchema },
    projects: {
      type: 'object',
      additionalProperties: {
        type: 'object',
        required: ['flags', 'cells'],
        properties: { flags: { type: 'array', items: { type: 'string' } }, cells: { type: 'array', items: cellSchema } }
      }
    }
  }
} as const
