/** `POST /access/v1/evaluation`: AuthZEN Access Evaluation. */
import type { FastifyInstance } from 'fastify'
import type { EvaluationInput } from '../../../../service/index.js'
import { decisionHeadersSchema, evaluationBodySchema, evaluationResponseSchema } from '../../../schemas/authzen.js'
import { AUTH_ERRORS, AUTHZEN_BODY_ERRORS, errorResponses } from '../../../schemas/common.js'

export async function evaluationRoutes (app: FastifyInstance): Promise<void> {
  app.post<{ Body: EvaluationInput }>('/access/v1/evaluation', {
    config: { access: { kind: 'decision' } },
    schema: {
      tags: ['decisions'],
      operationId: 'evaluate',
      summary: 'May the subject do the action on the resource?',
      description: 'A deny is a 200 with `decision: false`; `context` says why (`reason`), which fields are visible and editable, and at which tenant revision. Unknown fields are ignored; a body that is not JSON is a 400 (as the AuthZEN certification scenario asks).',
      headers: decisionHeadersSchema,
      body: evaluationBodySchema,
      response: {
        200: { ...evaluationResponseSchema, description: 'the decision' },
        ...errorResponses(...AUTHZEN_BODY_ERRORS, ...AUTH_ERRORS, 'tenant_not_found', 'no_policy')
      }
    }
  }, request => app.services.decisions.evaluate(request.tenantId, request.body))
}
