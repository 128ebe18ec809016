/**
 * JSON and YAML on the same route: the YAML media types, content negotiation, the body
 * parsers, and the OpenAPI description of a body or a 200 response that comes in several
 * media types (ajv validates only JSON, so these routes document their bodies through
 * `swaggerTransform` rather than `schema.body`).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { parseYamlOffLoop } from '../service/index.js'

export const YAML_MEDIA_TYPES = ['application/yaml', 'application/x-yaml', 'text/yaml']

/** Whether the request's body is YAML (`Content-Type` is one of YAML_MEDIA_TYPES). */
export function isYamlRequest (request: FastifyRequest): boolean {
  const type = request.headers['content-type']?.split(';')[0]?.trim().toLowerCase() ?? ''
  return YAML_MEDIA_TYPES.includes(type)
}

/** Whether the client prefers YAML: a YAML media type is acceptable and comes before any JSON one. */
export function wantsYaml (request: FastifyRequest): boolean {
  const accept = request.headers.accept
  if (accept === undefined) return false
  const types = accept.split(',').map(part => part.split(';')[0]?.trim().toLowerCase() ?? '')
  const yaml = types.findIndex(t => YAML_MEDIA_TYPES.includes(t))
  const json = types.findIndex(t => t === 'application/json')
  return yaml >= 0 && (json < 0 || yaml < json)
}

/**
 * Lets the plugin's routes (and only them: call it inside the route plugin) accept YAML
 * bodies: `parsed` parses them into a value (`parseYamlOffLoop`); `text` keeps the text,
 * for services that report problems at their line and column.
 */
export function acceptYaml (app: FastifyInstance, as: 'parsed' | 'text'): void {
  app.addContentTypeParser(YAML_MEDIA_TYPES, { parseAs: 'string' }, async (request: FastifyRequest, body: string) => {
    if (as === 'text') return body
    yamlTexts.set(request, body)
    // A large text is parsed on a worker thread: decisions of every tenant wait on this one.
    return await parseYamlOffLoop(body)
  })
}

/** The texts of YAML bodies parsed into values, so that a route can still place a problem at its line. */
const yamlTexts = new WeakMap<FastifyRequest, string>()

/** The YAML text a `parsed` body was read from; `undefined` for a JSON body. */
export function yamlTextOf (request: FastifyRequest): string | undefined {
  return yamlTexts.get(request)
}

/** Schemas by media type, e.g. `{ 'application/json': { $ref: 'Bundle#' } }`. */
export type MediaSchemas = Record<string, object>

interface SwaggerRoute { schema: unknown, url: string }

/**
 * A `swaggerTransform` that documents the request body and/or the 200 response in several
 * media types (the route's other responses are kept as its schema declares them).
 */
export function documentMedia (media: { body?: MediaSchemas, ok?: { description: string, etag?: boolean, content: MediaSchemas } }) {
  return ({ schema, url }: SwaggerRoute) => {
    const declared = schema as { response?: Record<string, unknown> } & Record<string, unknown>
    const documented: Record<string, unknown> = { ...declared }
    if (media.body !== undefined) documented.body = { content: contentOf(media.body) }
    if (media.ok !== undefined) {
      documented.produces = Object.keys(media.ok.content)
      documented.response = {
        ...declared.response,
        200: {
          description: media.ok.description,
          ...(media.ok.etag === true ? { headers: { etag: { type: 'string', description: 'the tenant revision, quoted' } } } : {}),
          content: contentOf(media.ok.content)
        }
      }
    }
    return { url, schema: documented }
  }
}

function contentOf (schemas: MediaSchemas): Record<string, { schema: object }> {
  return Object.fromEntries(Object.entries(schemas).map(([type, schema]) => [type, { schema }]))
}
