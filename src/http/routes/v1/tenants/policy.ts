/**
 * `PUT /v1/tenants/{tenant}/policy` (JSON or YAML bundle) and `GET` (JSON, or YAML with
 * `Accept: application/yaml`). The bundle is validated by the engine's `compileBundle`,
 * not by ajv, so that the client sees every issue with its JSON pointer; the engine's
 * `bundleJsonSchema` only documents it (component `Bundle`, through `swaggerTransform`).
 */
import type { FastifyInstance } from 'fastify'
import { formatBundle } from '../../../../service/index.js'
import { HttpError } from '../../../errors.js'
import { acceptYaml, documentMedia, wantsYaml, yamlTextOf } from '../../../media.js'
import { etag, writeOptions } from '../../../revision.js'
import { policyWrittenResponseSchema } from '../../../schemas/admin.js'
import { AUTH_ERRORS, BODY_ERRORS, errorResponses, tenantParamsSchema, withEtag, writeHeadersSchema } from '../../../schemas/common.js'

interface Params { tenant: string }
interface PutQuery { template?: string }

const BUNDLE = { $ref: 'Bundle#' }

const policyPutQuerySchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    template: { type: 'string', minLength: 1, maxLength: 100, description: 'import this shipped template (`GET /v1/templates`) instead of a body' }
  }
} as const

export async function policyRoutes (app: FastifyInstance): Promise<void> {
  acceptYaml(app, 'parsed')

  app.put<{ Params: Params, Querystring: PutQuery, Body: unknown }>('/v1/tenants/:tenant/policy', {
    config: {
      access: { kind: 'tenant', scope: 'admin' },
      swaggerTransform: documentMedia({ body: { 'application/json': BUNDLE, 'application/yaml': BUNDLE } })
    },
    schema: {
      tags: ['policy'],
      operationId: 'putPolicy',
      summary: 'Replace the tenant\'s policy bundle',
      description: 'The whole bundle, as JSON or YAML (`Content-Type: application/yaml`). An invalid bundle is refused with every issue, ' +
        'each with a JSON pointer (`details[].path`), and the previous policy keeps answering. ' +
        'With `?template=NAME` and no body, imports the bundle of a shipped template (`GET /v1/templates`) exactly as an import of that bundle would.',
      params: tenantParamsSchema,
      querystring: policyPutQuerySchema,
      headers: writeHeadersSchema,
      response: {
        200: withEtag(policyWrittenResponseSchema, 'the policy was replaced'),
        ...errorResponses(...BODY_ERRORS, 'invalid_yaml', 'policy_invalid', ...AUTH_ERRORS, 'tenant_not_found', 'revision_mismatch')
      }
    }
  }, async (request, reply) => {
    const { template } = request.query
    if (template !== undefined && request.body !== undefined) {
      throw new HttpError('validation_failed', 'a template import takes no body: send `?template=` or a bundle, not both', [
        { in: 'querystring', path: '/template', message: 'cannot be combined with a body', code: 'template_with_body' },
        { in: 'body', path: '', message: 'must be empty with `template`', code: 'template_with_body' }
      ])
    }
    const written = template === undefined
      ? await app.services.admin.putPolicy(request.params.tenant, request.body, writeOptions(request), yamlTextOf(request))
      : await app.services.admin.putPolicyTemplate(request.params.tenant, template, writeOptions(request))
    return etag(reply, written.revision).send(written)
  })

  app.get<{ Params: Params }>('/v1/tenants/:tenant/policy', {
    config: {
      access: { kind: 'tenant', scope: 'admin' },
      swaggerTransform: documentMedia({ ok: { description: 'the policy bundle', etag: true, content: { 'application/json': BUNDLE, 'application/yaml': BUNDLE } } })
    },
    schema: {
      tags: ['policy'],
      operationId: 'getPolicy',
      summary: 'Export the tenant\'s policy bundle',
      description: 'JSON by default; YAML with `Accept: application/yaml`.',
      params: tenantParamsSchema,
      response: errorResponses('validation_failed', ...AUTH_ERRORS, 'tenant_not_found', 'no_policy')
    }
  }, async (request, reply) => {
    const { bundle, revision } = await app.services.admin.getPolicy(request.params.tenant)
    etag(reply, revision)
    if (wantsYaml(request)) return reply.type('application/yaml; charset=utf-8').send(formatBundle(bundle, 'yaml'))
    return reply.type('application/json; charset=utf-8').send(formatBundle(bundle, 'json'))
  })
}
