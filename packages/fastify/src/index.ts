/**
 * `@gatehouse-pdp/fastify`: register once, then guard routes with a preHandler.
 *
 * ```ts
 * await app.register(gatehouse, { url: 'http://gatehouse:8080', key: process.env.GATEHOUSE_KEY })
 * app.get<{ Params: { id: string } }>('/jobs/:id', { preHandler: authorize<{ Params: { id: string } }>('jobs', 'edit', req => ({ subject: req.user.id, id: req.params.id })) },
 *   async req => mask(await loadJob(req.params.id), req.gatehouse?.fields?.visible))
 * ```
 *
 * A deny answers 403 `{ code: 'access_denied', message, reason }` and the handler never
 * runs. A decision that could not be obtained is a deny too (fail closed), its reason
 * saying so (`gatehouse_unavailable`...). An allowed request carries the decision as
 * `request.gatehouse` (its `fields` say what the subject may see and edit).
 */
import { checkTarget, denialBody, GatehouseClient } from '@gatehouse-pdp/client'
export { mask } from '@gatehouse-pdp/client'
export type { AuthorizeTarget } from '@gatehouse-pdp/client'
import type { AuthorizeTarget, Decision, GatehouseClientOptions } from '@gatehouse-pdp/client'
import type { FastifyPluginAsync, FastifyReply, FastifyRequest, preHandlerAsyncHookHandler, RouteGenericInterface } from 'fastify'
import fp from 'fastify-plugin'

declare module 'fastify' {
  interface FastifyInstance {
    /** The client the plugin was registered with. */
    gatehouse: GatehouseClient
  }
  interface FastifyRequest {
    /** The allowing decision of the route's `authorize` preHandler (`null` on routes without one). */
    gatehouse: Decision | null
  }
}

/** A client, or the options to make one. */
export type GatehousePluginOptions = { client: GatehouseClient } | GatehouseClientOptions

const plugin: FastifyPluginAsync<GatehousePluginOptions> = async (app, options) => {
  const client = 'client' in options ? options.client : new GatehouseClient(options)
  app.decorate('gatehouse', client)
  app.decorateRequest('gatehouse', null)
}

/** The plugin: decorates the app with the client (`app.gatehouse`) and requests with their decision. */
export const gatehouse = fp(plugin, { name: '@gatehouse-pdp/fastify', fastify: '5.x' })

/**
 * A preHandler that asks whether the request's subject may do `action` on the resource
 * of `module` that `target` names; 403 with the reason when not. The route's types type
 * the request: `authorize<{ Params: { id: string } }>('jobs', 'edit', req => ({ subject, id: req.params.id }))`.
 */
export function authorize<RouteGeneric extends RouteGenericInterface = RouteGenericInterface> (
  module: string, action: string, target: (request: FastifyRequest<RouteGeneric>) => AuthorizeTarget | Promise<AuthorizeTarget>
): preHandlerAsyncHookHandler {
  return async function gatehouseAuthorize (request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const client = request.server.gatehouse as GatehouseClient | undefined
    if (client === undefined) throw new Error('@gatehouse-pdp/fastify: register the `gatehouse` plugin before using `authorize`')
    const decision = await checkTarget(client, module, action, await target(request as unknown as FastifyRequest<RouteGeneric>))
    if (!decision.allowed) {
      if (decision.error !== undefined) request.log.warn({ err: decision.error }, 'gatehouse: no decision, denied (fail closed)')
      await reply.code(403).send(denialBody(decision))
      return
    }
    request.gatehouse = decision
  }
}
