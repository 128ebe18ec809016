/**
 * `@gatehouse-pdp/express`: one `app.use`, then guard routes with a middleware.
 *
 * ```js
 * app.use(gatehouse({ url: 'http://gatehouse:8080', key: process.env.GATEHOUSE_KEY }))
 * app.get('/jobs/:id', authorize('jobs', 'edit', req => ({ subject: req.user.id, id: req.params.id })),
 *   (req, res) => res.json(mask(loadJob(req.params.id), req.gatehouse.fields?.visible)))
 * ```
 *
 * A deny answers 403 `{ code: 'access_denied', message, reason }` and the route's next
 * handlers never run. A decision that could not be obtained is a deny too (fail closed),
 * its reason saying so (`gatehouse_unavailable`...). An allowed request carries the
 * decision as `req.gatehouse` and `res.locals.gatehouse` (its `fields` say what the
 * subject may see and edit).
 *
 * Typed structurally (no dependency on express or its types), so that it fits Express 4
 * and 5 and anything with the same `(req, res, next)` shape.
 */
import { checkTarget, denialBody, GatehouseClient } from '@gatehouse-pdp/client'
import type { AuthorizeTarget, Decision, GatehouseClientOptions } from '@gatehouse-pdp/client'

export { mask } from '@gatehouse-pdp/client'
export type { AuthorizeTarget } from '@gatehouse-pdp/client'

/** A client, or the options to make one. */
export type GatehouseMiddlewareOptions = { client: GatehouseClient } | GatehouseClientOptions

/** What `authorize` reads and writes on a request. */
export interface RequestLike {
  gatehouseClient?: GatehouseClient
  gatehouse?: Decision
}

/** What `authorize` needs of a response. */
export interface ResponseLike {
  locals?: Record<string, unknown>
  status: (code: number) => ResponseLike
  json: (body: unknown) => unknown
}

export type Next = (err?: unknown) => void

/** The middleware that puts the client on every request (`req.gatehouseClient`), for `authorize`. */
export function gatehouse (options: GatehouseMiddlewareOptions): (req: RequestLike, res: unknown, next: Next) => void {
  const client = 'client' in options ? options.client : new GatehouseClient(options)
  return function gatehouseClient (req, _res, next) {
    req.gatehouseClient = client
    next()
  }
}

/**
 * A middleware that asks whether the request's subject may do `action` on the resource
 * of `module` that `target` names; 403 with the reason when not.
 */
export function authorize<Req extends object = Record<string, any>> (
  module: string, action: string, target: (req: Req) => AuthorizeTarget | Promise<AuthorizeTarget>
): (req: Req, res: ResponseLike, next: Next) => void {
  return function gatehouseAuthorize (req, res, next) {
    const request = req as Req & RequestLike
    const client = request.gatehouseClient
    if (client === undefined) {
      next(new Error('@gatehouse-pdp/express: use the `gatehouse` middleware before `authorize`'))
      return
    }
    (async () => {
      const decision = await checkTarget(client, module, action, await target(req))
      if (!decision.allowed) {
        res.status(403).json(denialBody(decision))
        return
      }
      request.gatehouse = decision
      if (res.locals !== undefined) res.locals.gatehouse = decision
      next()
    })().catch(next)
  }
}
