/**
 * `PUT /v1/tenants/{tenant}/policy` (JSON or YAML bundle) and `GET` (JSON, or YAML with
 * `Accept: application/yaml`). The bundle is validated by the engine's `compileBundle`,
 * not by ajv, so that the client sees every issue with its JSON pointer; the engine's
 * `bundleJsonSchema` only documents it (component `Bundle`, through `swaggerTransform`).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { formatBundle, parseYamlText } from '../../../../service/index.js'
import { etag, writeOptions } from '../../../revision.js'
import { policyWrittenResponseSchema } from '../../../schemas/admin.js'
import { AUTH_ERRORS, BODY_ERRORS, errorResponses, tenantParamsSchema, withEtag, writeHeadersSchema } from '../../../schemas/common.js'

interface Params { tenant: string }

export const YAML_MEDIA_TYPES = ['application/yaml', 'application/x-yaml', 'text/yaml']

/** Whether the client prefers YAML: a YAML media type is acceptable and comes before any JSON one. */
function wantsYaml (request: FastifyRequest): boolean {
  const accept = request.headers.accept
  if (accept === undefined) return false
  const types = accept.split(',').map(part => part.split(';')[0]?.trim().toLowerCase() ?? '')
  const yaml = types.findIndex(t => YAML_MEDIA_TYPES.includes(t))
  const json = types.findIndex(t => t === 'application/json')
  return yaml >= 0 && (json < 0 || yaml < json)
}

export async function policyRoutes (app: FastifyInstance): Promise<void> {
  // Encapsulated: only this plugin's routes accept YAML bodies.
  app.addContentTypeParser(YAML_MEDIA_TYPES, { parseAs: 'string' }, (_request, body, done) => {
    try {
      done(null, parseYamlText(body as string))
    } catch (err) {
      done(err as Error, undefined)
    }
  })

  app.put<{ Params: Params, Body: unknown }>('/v1/tenants/:tenant/policy', {
    config: {
      access: { kind: 'tenant', scope: 'admin' },
      swaggerTransform: ({ schema, url }) => ({
        url,
        schema: {
          ...schema,
          body: {
            content: {
              'application/json': { schema: { $ref: 'Bundle#' } },
              'application/yaml': { schema: { $ref: 'Bundle#' } }
            }
          }
        }
      })
    },
    schema: {
      tags: ['tenants'],
      operationId: 'putPolicy',
      summary: 'Replace the tenant\'s policy bundle',
      description: 'The whole bundle, as JSON or YAML (`Content-Type: application/yaml`). An invalid bundle is refused with every issue, ' +
        'each with a JSON pointer (`details[].path`), and the previous policy keeps answering.',
      params: tenantParamsSchema,
      headers: writeHeadersSchema,
      response: {
        200: withEtag(policyWrittenResponseSchema, 'the policy was replaced'),
        ...errorResponses(...BODY_ERRORS, 'invalid_yaml', 'policy_invalid', ...AUTH_ERRORS, 'tenant_not_found', 'revision_mismatch')
      }
    }
  }, async (request, reply) => {
    const written = await app.services.admin.putPolicy(request.params.tenant, request.body, writeOptions(request))
    return etag(reply, written.revision).send(written)
  })

  app.get<{ Params: Params }>('/v1/tenants/:tenant/policy', {
    config: {
      access: { kind: 'tenant', scope: 'admin' },
      swaggerTransform: ({ schema, url }) => ({
        url,
        schema: {
          ...schema,
          produces: ['application/json', 'application/yaml'],
          response: {
            ...(schema as { response: Record<string, unknown> }).response,
            200: {
              description: 'the policy bundle',
              headers: { etag: { type: 'string', description: 'the tenant revision, quoted' } },
              content: {
                'application/json': { schema: { $ref: 'Bundle#' } },
                'application/yaml': { schema: { $ref: 'Bundle#' } }
              }
            }
          }
        }
      })
    },
    schema: {
      tags: ['tenants'],
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
