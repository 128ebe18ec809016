/**
 * The OpenAPI 3.1 document, generated from the route schemas (`app.swagger()`), and the
 * UI at `/docs`. Shared schemas (`addSchema` with an `$id`) become components named by
 * their `$id`.
 */
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { withExamples } from '../examples.js'
import { bundleDocSchema, errorResponseSchema } from '../schemas/common.js'

export interface SwaggerOptions {
  version: string
  publicUrl: string
}

export const swaggerPlugin = fp(async function openapi (app: FastifyInstance, opts: SwaggerOptions) {
  app.addSchema(errorResponseSchema)
  app.addSchema(bundleDocSchema)
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'gatehouse',
        version: opts.version,
        description: 'A policy decision point speaking OpenID AuthZEN 1.0, with a tenant administration API. ' +
          'Every call except health, metadata and these docs needs `Authorization: Bearer <key>`.'
      },
      components: {
        securitySchemes: {
          bearerAuth: { type: 'http', scheme: 'bearer', description: 'the root key, or a tenant key `gh_<id>_<secret>`' }
        }
      },
      security: [{ bearerAuth: [] }],
      tags: [
        { name: 'authzen', description: 'AuthZEN Authorization API 1.0 decisions' },
        { name: 'tenants', description: 'tenant administration: tenant, keys, policy, subjects, resources' },
        { name: 'templates', description: 'the policy templates shipped with gatehouse' },
        { name: 'metadata', description: 'discovery and health' }
      ]
    },
    // INVARIANT: this document is OpenAPI (configured above), never Swagger 2.
    transformObject: document => 'openapiObject' in document ? withExamples(document.openapiObject) : document.swaggerObject,
    refResolver: {
      buildLocalReference (json, _baseUri, _fragment, i) {
        return typeof json.$id === 'string' ? json.$id : `def-${i}`
      }
    }
  })
  await app.register(swaggerUi, { routePrefix: '/docs' })
}, { name: 'gatehouse-swagger', fastify: '5.x' })
