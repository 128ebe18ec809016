/**
 * `GET /v1/templates` and `GET /v1/templates/{name}`: the policy templates shipped with
 * gatehouse (DESIGN.md §6), the same for every tenant. Open to any valid key, the root
 * key or a tenant key whatever its scopes (access rule `any`): they hold no tenant data.
 * A template is applied with `PUT /v1/tenants/{tenant}/policy?template=NAME`.
 */
import type { FastifyInstance } from 'fastify'
import { AUTH_ERRORS, errorResponses } from '../../schemas/common.js'
import { templateListSchema } from '../../schemas/policy-tools.js'
import { documentMedia, wantsYaml } from '../../media.js'

interface Params { name: string }

const paramsSchema = {
  type: 'object',
  required: ['name'],
  additionalProperties: false,
  properties: { name: { type: 'string', minLength: 1, maxLength: 100, description: 'a template name, as `GET /v1/templates` lists them' } }
} as const

export async function templateRoutes (app: FastifyInstance): Promise<void> {
  app.get('/v1/templates', {
    config: { access: { kind: 'any' } },
    schema: {
      tags: ['templates'],
      operationId: 'listTemplates',
      summary: 'List the policy templates shipped with gatehouse',
      description: 'Any valid key. Each template is a ready bundle with a regression suite; apply one with `PUT /v1/tenants/{tenant}/policy?template=NAME`.',
      response: {
        200: { ...templateListSchema, description: 'the templates, by name' },
        ...errorResponses(...AUTH_ERRORS)
      }
    }
  }, async () => app.services.policyTools.listTemplates())

  app.get<{ Params: Params }>('/v1/templates/:name', {
    config: {
      access: { kind: 'any' },
      swaggerTransform: documentMedia({ ok: { description: 'the template\'s bundle', content: { 'application/json': { $ref: 'Bundle#' }, 'application/yaml': { $ref: 'Bundle#' } } } })
    },
    schema: {
      tags: ['templates'],
      operationId: 'getTemplate',
      summary: 'Read a template\'s bundle',
      description: 'Any valid key. JSON by default; with `Accept: application/yaml`, the bundle file exactly as shipped, comments included.',
      params: paramsSchema,
      response: errorResponses('validation_failed', ...AUTH_ERRORS, 'not_found')
    }
  }, async (request, reply) => {
    const template = app.services.policyTools.getTemplate(request.params.name)
    if (wantsYaml(request)) return reply.type('application/yaml; charset=utf-8').send(template.text)
    return reply.type('application/json; charset=utf-8').send(template.json)
  })
}
