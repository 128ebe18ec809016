/**
 * `POST /access/v1/search/{resource,subject,action}`: AuthZEN search (listAllowed). The
 * entity searched for has its `id` ignored; the input entities need theirs (400 without).
 * An unknown type or id is an empty result, not an error. Items are bare `{type, id}` or
 * `{name}`, as interop clients compare them; gatehouse's additions (the query plan, the
 * fields of each action, the revision) are in `context`.
 */
import type { FastifyInstance } from 'fastify'
import type { ActionSearchInput, ResourceSearchInput, SubjectSearchInput } from '../../../../service/index.js'
import {
  actionSearchBodySchema, actionSearchResponseSchema, decisionHeadersSchema, resourceSearchBodySchema, resourceSearchResponseSchema,
  subjectSearchBodySchema, subjectSearchResponseSchema
} from '../../../schemas/authzen.js'
import { AUTH_ERRORS, AUTHZEN_BODY_ERRORS, errorResponses } from '../../../schemas/common.js'

const errors = errorResponses(...AUTHZEN_BODY_ERRORS, ...AUTH_ERRORS, 'tenant_not_found', 'no_policy')

export async function searchRoutes (app: FastifyInstance): Promise<void> {
  app.post<{ Body: ResourceSearchInput }>('/access/v1/search/resource', {
    config: { access: { kind: 'decision' } },
    schema: {
      tags: ['search'],
      operationId: 'searchResources',
      summary: 'Which stored resources may the subject do the action on?',
      description: 'The ids of the stored resources of `resource.type` for which evaluation allows, in ascending id order, paged. ' +
        '`context.plan` is the query plan (ADR 0002): `always`, `never`, or a `conditional` filter over project, relations and ids that a caller ' +
        'turns into its own SQL (`planToSql`). `resource.id` is ignored.',
      headers: decisionHeadersSchema,
      body: resourceSearchBodySchema,
      response: { 200: { ...resourceSearchResponseSchema, description: 'one page of results' }, ...errors }
    }
  }, async request => await app.services.search.resources(request.tenantId, request.body))

  app.post<{ Body: SubjectSearchInput }>('/access/v1/search/subject', {
    config: { access: { kind: 'decision' } },
    schema: {
      tags: ['search'],
      operationId: 'searchSubjects',
      summary: 'Which subjects may do the action on the resource?',
      description: 'The stored subjects for which evaluation allows, in ascending id order, paged; each result has the requested `subject.type`. `subject.id` is ignored.',
      headers: decisionHeadersSchema,
      body: subjectSearchBodySchema,
      response: { 200: { ...subjectSearchResponseSchema, description: 'one page of results' }, ...errors }
    }
  }, async request => await app.services.search.subjects(request.tenantId, request.body))

  app.post<{ Body: ActionSearchInput }>('/access/v1/search/action', {
    config: { access: { kind: 'decision' } },
    schema: {
      tags: ['search'],
      operationId: 'searchActions',
      summary: 'Which actions may the subject do on the resource?',
      description: 'The allowed actions of the module, in declaration order. On a module with fields, `context.fields` gives, per returned action, ' +
        'the fields the subject may see and edit: what a UI needs to show buttons and columns.',
      headers: decisionHeadersSchema,
      body: actionSearchBodySchema,
      response: { 200: { ...actionSearchResponseSchema, description: 'one page of results' }, ...errors }
    }
  }, async request => await app.services.search.actions(request.tenantId, request.body))
}
