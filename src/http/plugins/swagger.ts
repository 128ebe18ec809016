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
import { withOperationDetails } from '../openapi-document.js'
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
          'Every call except health, metadata and these docs needs a key: `Authorization: Bearer <key>`, or the key alone ' +
          '(`Authorization: <key>`, as AuthZEN interop harnesses send it). Every response carries `X-Request-ID`: the one the request sent, or one the service made.'
      },
      components: {
        securitySchemes: {
          bearerAuth: { type: 'http', scheme: 'bearer', description: 'the root key, or a tenant key `gh_<id>_<secret>`' },
          // The same keys without the scheme word: src/http/plugins/auth.ts `bearerToken`.
          bareKey: { type: 'apiKey', in: 'header', name: 'Authorization', description: 'the same key with no `Bearer ` before it (`Authorization: gh_<id>_<secret>`), as AuthZEN interop harnesses send it' }
        }
      },
      // Either scheme: a requirement list names alternatives.
      security: [{ bearerAuth: [] }, { bareKey: [] }],
      tags: [
        { name: 'decisions', description: 'AuthZEN Authorization API 1.0: access evaluation, one or many' },
        { name: 'search', description: 'AuthZEN search: the resources a subject may act on (with the query plan), who may, what a subject may do' },
        { name: 'policy', description: 'the tenant\'s policy bundle, its parts (modules, flags, roles), its tests and the impact of a change' },
        { name: 'subjects', description: 'subjects, their overrides and effective permissions, and groups' },
        { name: 'resources', description: 'stored resources: project, relations, ACL' },
        { name: 'keys', description: 'tenant keys and their scopes' },
        { name: 'audit', description: 'the audit log of every write' },
        { name: 'templates', description: 'the policy templates shipped with gatehouse' },
        { name: 'tenants', description: 'creating and reading a tenant' },
        { name: 'metadata', description: 'discovery and health' }
      ]
    },
    // INVARIANT: this document is OpenAPI (configured above), never Swagger 2.
    transformObject: document => 'openapiObject' in document ? withOperationDetails(withExamples(document.openapiObject)) : document.swaggerObject,
    refResolver: {
      buildLocalReference (json, _baseUri, _fragment, i) {
        return typeof json.$id === 'string' ? json.$id : `def-${i}`
      }
    }
  })
  await app.register(swaggerUi, { routePrefix: '/docs' })
}, { name: 'gatehouse-swagger', fastify: '5.x' })
