/**
 * `POST /v1/tenants/{tenant}/policy/tests`: runs a policy test suite (docs/policy-tests.md)
 * against the tenant's live policy, or against the suite's own inline bundle (a draft),
 * and writes nothing. The suite is JSON, or YAML with `Content-Type: application/yaml`
 * (kept as text, so that problems are reported at their line and column).
 *
 * Scope `admin`: a suite may hold any subject (owner, any role, overrides) and any
 * resource, so a run reveals how the whole policy is built (what `GET .../policy` shows to
 * admin keys only), and without `subjects` it reads the tenant's stored subjects and
 * resources, which only admin keys may read. A `check` key decides about stored subjects
 * only, one request at a time.
 */
import type { FastifyInstance } from 'fastify'
import type { SuiteInput } from '../../../../service/index.js'
import { acceptYaml, documentMedia, isYamlRequest } from '../../../media.js'
import { etag } from '../../../revision.js'
import { AUTH_ERRORS, BODY_ERRORS, errorResponses, tenantParamsSchema, withEtag } from '../../../schemas/common.js'
import { policyTestReportSchema } from '../../../schemas/policy-tools.js'

interface Params { tenant: string }

const SUITE = { $ref: 'PolicyTestSuite#' }

export async function policyTestRoutes (app: FastifyInstance): Promise<void> {
  // YAML suites stay text here: the service parses them with positions.
  acceptYaml(app, 'text')

  app.post<{ Params: Params, Body: unknown }>('/v1/tenants/:tenant/policy/tests', {
    config: {
      access: { kind: 'tenant', scope: 'admin' },
      swaggerTransform: documentMedia({ body: { 'application/json': SUITE, 'application/yaml': SUITE } })
    },
    schema: {
      tags: ['policy'],
      operationId: 'runPolicyTests',
      summary: 'Run a policy test suite against the tenant, writing nothing',
      description: 'The suite (docs/policy-tests.md) as JSON, or YAML with `Content-Type: application/yaml`. ' +
        'Without `bundle` it runs against the tenant\'s live policy; with an inline `bundle`, against that draft (a bundle path is refused: ' +
        'no files are read). A suite that declares neither `subjects` nor `resources` names the tenant\'s stored subjects (by id or alias) ' +
        'and stored resources (`type/id`, or `{ type, id }`) as an AuthZEN request does; one that declares either is self-contained. ' +
        'Failing cases still answer 200 (`failed` > 0); a suite that cannot be loaded answers 400 with every problem, ' +
        'each with its JSON pointer (`details[].path`) and, for YAML, its `line` and `col`.',
      params: tenantParamsSchema,
      response: {
        200: withEtag(policyTestReportSchema, 'the results, case by case'),
        ...errorResponses(...BODY_ERRORS, 'invalid_yaml', ...AUTH_ERRORS, 'tenant_not_found', 'no_policy')
      }
    }
  }, async (request, reply) => {
    const input: SuiteInput = isYamlRequest(request) ? { text: request.body as string } : { value: request.body }
    const report = await app.services.policyTools.runPolicyTests(request.params.tenant, input)
    return etag(reply, report.revision).send(report)
  })
}
