/**
 * The API's types, taken from the types openapi-typescript generates from
 * `openapi/openapi.json` (`npm run openapi` writes `test/client/gatehouse-api.d.ts`; the
 * package's build ships that file), so that the client cannot drift from the routes.
 */
import type { paths } from '../../../test/client/gatehouse-api.js'

export type { paths } from '../../../test/client/gatehouse-api.js'

type JsonOf<T> = T extends { content: { 'application/json': infer B } } ? B : never

/** The JSON request body of an operation. */
export type RequestBody<Op> = Op extends { requestBody?: infer R } ? JsonOf<NonNullable<R>> : never
/** The JSON body of an operation's success (200 or 201; `undefined` for 204). */
export type SuccessBody<Op> = Op extends { responses: infer R }
  ? (R extends { 200: infer A } ? JsonOf<A> : never) | (R extends { 201: infer B } ? JsonOf<B> : never) | (R extends { 204: unknown } ? undefined : never)
  : never

export type EvaluationRequest = RequestBody<paths['/access/v1/evaluation']['post']>
export type EvaluationResponse = SuccessBody<paths['/access/v1/evaluation']['post']>
export type EvaluationsRequest = RequestBody<paths['/access/v1/evaluations']['post']>
export type ActionSearchRequest = RequestBody<paths['/access/v1/search/action']['post']>
export type ActionSearchResponse = SuccessBody<paths['/access/v1/search/action']['post']>
export type ResourceSearchRequest = RequestBody<paths['/access/v1/search/resource']['post']>
export type ResourceSearchResponse = SuccessBody<paths['/access/v1/search/resource']['post']>

/** A decision's reason as gatehouse states it. */
export type DecisionReason = NonNullable<EvaluationResponse['context']>['reason']
/** The fields an allowed decision lets the subject see and edit. */
export interface DecisionFields { visible: string[], editable: string[] }

export type HttpMethod = 'get' | 'put' | 'post' | 'delete'

/** The paths that have an operation for `M`. */
export type PathsWith<M extends HttpMethod> = {
  [P in keyof paths]: paths[P][M] extends { responses: unknown } ? P : never
}[keyof paths]

type Operation<P extends keyof paths, M extends HttpMethod> = paths[P][M]
type PathParams<Op> = Op extends { parameters: { path: infer T } } ? T : Record<never, never>
type QueryParams<Op> = Op extends { parameters: { query?: infer T } } ? ([T] extends [never] ? never : T) : never
type Headers<Op> = Op extends { parameters: { header?: infer T } } ? ([T] extends [never] ? never : T) : never

/**
 * What an admin call takes: the path parameters (the client's tenant fills `tenant`
 * unless given), the query, the headers the operation declares (`if-match`,
 * `gatehouse-actor`) and the JSON body.
 */
export type AdminCallOptions<P extends keyof paths, M extends HttpMethod> =
  (keyof Omit<PathParams<Operation<P, M>>, 'tenant'> extends never
    ? { params?: { tenant?: string } }
    : { params: Omit<PathParams<Operation<P, M>>, 'tenant'> & { tenant?: string } }) &
  ([QueryParams<Operation<P, M>>] extends [never] ? unknown : { query?: QueryParams<Operation<P, M>> }) &
  ([Headers<Operation<P, M>>] extends [never] ? unknown : { headers?: Headers<Operation<P, M>> }) &
  ([RequestBody<Operation<P, M>>] extends [never] ? unknown : { body?: RequestBody<Operation<P, M>> })

/** An admin call's options: required when the path has parameters besides the tenant. */
export type AdminCallArgs<P extends keyof paths, M extends HttpMethod> =
  keyof Omit<PathParams<Operation<P, M>>, 'tenant'> extends never ? [options?: AdminCallOptions<P, M>] : [options: AdminCallOptions<P, M>]

/** What an admin call resolves to: the success body as the OpenAPI document types it. */
export type AdminCallResult<P extends keyof paths, M extends HttpMethod> = SuccessBody<Operation<P, M>>
