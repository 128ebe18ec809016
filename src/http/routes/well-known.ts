/**
 * `GET /.well-known/authzen-configuration[/{tenant}]`: AuthZEN PDP metadata, public.
 * Lists only the endpoints this server implements (a missing one tells the client the
 * API is unsupported), as absolute URLs under `GATEHOUSE_PUBLIC_URL`. The tenant form
 * answers for any well-formed tenant id, so that it reveals no tenant's existence.
 */
import type { FastifyInstance } from 'fastify'
import { metadataResponseSchema } from '../schemas/authzen.js'
import { errorResponses, tenantParamsSchema } from '../schemas/common.js'

export interface WellKnownOptions {
  /** The PDP identifier, without a trailing slash. */
  publicUrl: string
}

/** Paths of the AuthZEN endpoints served, by metadata parameter. */
export const AUTHZEN_ENDPOINTS = {
  access_evaluation_endpoint: '/access/v1/evaluation',
  access_evaluations_endpoint: '/access/v1/evaluations',
  search_subject_endpoint: '/access/v1/search/subject',
  search_resource_endpoint: '/access/v1/search/resource',
  search_action_endpoint: '/access/v1/search/action'
} as const

function metadata (pdp: string, base: string): Record<string, string> {
  const doc: Record<string, string> = { policy_decision_point: pdp }
  for (const [key, path] of Object.entries(AUTHZEN_ENDPOINTS)) doc[key] = `${base}${path}`
  return doc
}

export async function wellKnownRoutes (app: FastifyInstance, opts: WellKnownOptions): Promise<void> {
  const base = opts.publicUrl
  const cacheControl = 'public, max-age=300'

  app.get('/.well-known/authzen-configuration', {
    schema: {
      tags: ['metadata'],
      operationId: 'getAuthzenConfiguration',
      summary: 'AuthZEN PDP metadata',
      security: [],
      response: { 200: { ...metadataResponseSchema, description: 'the metadata document' }, ...errorResponses() }
    }
  }, async (_request, reply) => reply.header('cache-control', cacheControl).send(metadata(base, base)))

  app.get<{ Params: { tenant: string } }>('/.well-known/authzen-configuration/:tenant', {
    schema: {
      tags: ['metadata'],
      operationId: 'getTenantAuthzenConfiguration',
      summary: 'AuthZEN PDP metadata of a tenant (path-suffix form)',
      description: '`policy_decision_point` is `<public url>/<tenant>`; the endpoints are shared, the tenant being named by the key (or, for the root key, by `Gatehouse-Tenant`).',
      security: [],
      params: tenantParamsSchema,
      response: { 200: { ...metadataResponseSchema, description: 'the metadata document' }, ...errorResponses('validation_failed') }
    }
  }, async (request, reply) => reply.header('cache-control', cacheControl).send(metadata(`${base}/${request.params.tenant}`, base)))
}
