/** `POST /access/v1/evaluations`: AuthZEN Access Evaluations (batch). */
import type { FastifyInstance } from 'fastify'
import type { EvaluationsInput } from '../../../../service/index.js'
import { decisionHeadersSchema, evaluationsBodySchema, evaluationsResponseSchema } from '../../../schemas/authzen.js'
import { AUTH_ERRORS, AUTHZEN_BODY_ERRORS, errorResponses } from '../../../schemas/common.js'

export async function evaluationsRoutes (app: FastifyInstance): Promise<void> {
  app.post<{ Body: EvaluationsInput }>('/access/v1/evaluations', {
    config: { access: { kind: 'decision' } },
    schema: {
      tags: ['decisions'],
      operationId: 'evaluateMany',
      summary: 'Many decisions in one request',
      description: 'Top-level `subject`, `action`, `resource` and `context` are defaults that an item replaces as a whole. ' +
        '`options.evaluations_semantic`: `execute_all` (default), `deny_on_first_deny`, `permit_on_first_permit` (these stop early and return fewer items). ' +
        'Items are bare `{ "decision": ... }` unless `options.context` is `true`. An item missing an entity after defaults is `decision: false` (fail closed). ' +
        'Without `evaluations` (or with an empty list) the answer is a single evaluation response.',
      headers: decisionHeadersSchema,
      body: evaluationsBodySchema,
      response: {
        200: evaluationsResponseSchema,
        ...errorResponses(...AUTHZEN_BODY_ERRORS, ...AUTH_ERRORS, 'tenant_not_found', 'no_policy')
      }
    }
  }, async request => await app.services.decisions.evaluateMany(request.tenantId, request.body))
}
