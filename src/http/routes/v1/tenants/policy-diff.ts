/**
 * `POST /v1/tenants/{tenant}/policy/diff`: the impact of replacing the tenant's policy by
 * a draft bundle (docs/policy-diff.md), with what each stored subject gains or loses, as
 * JSON (`PolicyDiff`) or, with `?format=markdown`, as a pull-request comment. Writes
 * nothing. The draft is a JSON body `{ bundle }`, or the bundle itself as YAML with
 * `Content-Type: application/yaml` (kept as text, so that issues have lines).
 */
import type { FastifyInstance } from 'fastify'
import { formatDiffMarkdown } from '../../../../service/index.js'
import type { DraftInput } from '../../../../service/index.js'
import { acceptYaml, documentMedia, isYamlRequest } from '../../../media.js'
import { etag } from '../../../revision.js'
import { AUTH_ERRORS, BODY_ERRORS, errorResponses, tenantParamsSchema, withEtag } from '../../../schemas/common.js'

interface Params { tenant: string }
interface Query { format?: 'json' | 'markdown' }

const querySchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    format: { type: 'string', enum: ['json', 'markdown'], description: '`json` (default): the `PolicyDiff` report; `markdown`: the same as a pull-request comment' }
  }
} as const

const draftBodySchema = {
  type: 'object',
  required: ['bundle'],
  additionalProperties: false,
  properties: { bundle: { $ref: 'Bundle#' } }
} as const

export async function policyDiffRoutes (app: FastifyInstance): Promise<void> {
  // A YAML draft stays text here: the service parses it with positions.
  acceptYaml(app, 'text')

  app.post<{ Params: Params, Querystring: Query, Body: unknown }>('/v1/tenants/:tenant/policy/diff', {
    config: {
      access: { kind: 'tenant', scope: 'admin' },
      swaggerTransform: documentMedia({
        body: { 'application/json': draftBodySchema, 'application/yaml': { $ref: 'Bundle#' } },
        ok: { description: 'the impact report; nothing was written', etag: true, content: { 'application/json': { $ref: 'PolicyDiff#' }, 'text/markdown': { type: 'string' } } }
      })
    },
    schema: {
      tags: ['policy'],
      operationId: 'diffPolicy',
      summary: 'Report what a draft bundle would change, writing nothing',
      description: 'Compares the tenant\'s policy (an empty one when it has none) with the draft: names added or removed, changed definitions, ' +
        'each (role, module, action) permission and (role, module, field) mode that changes, and what each stored subject gains or loses. ' +
        'The draft is `{ "bundle": ... }` as JSON, or the bundle itself with `Content-Type: application/yaml`. ' +
        'An invalid draft answers 400 `policy_invalid` with every issue (`details[].path`, and `line` and `col` for YAML).',
      params: tenantParamsSchema,
      querystring: querySchema,
      response: {
        200: withEtag({ $ref: 'PolicyDiff#' }, 'the impact report; nothing was written'),
        ...errorResponses(...BODY_ERRORS, 'invalid_yaml', 'policy_invalid', ...AUTH_ERRORS, 'tenant_not_found')
      }
    }
  }, async (request, reply) => {
    const draft: DraftInput = isYamlRequest(request) ? { text: request.body as string } : { value: request.body }
    const { tenant } = request.params
    const { diff, revision, hasPolicy } = await app.services.policyTools.diffPolicy(tenant, draft)
    etag(reply, revision)
    if (request.query.format === 'markdown') {
      const before = hasPolicy ? `${tenant} at revision ${revision}` : `${tenant} (no policy)`
      return reply.type('text/markdown; charset=utf-8').send(formatDiffMarkdown(diff, { before, after: 'draft' }))
    }
    return reply.send(diff)
  })
}
