/**
 * `/v1/tenants/{tenant}/{modules,flags,roles}[/{name}]`: the parts of the policy as
 * resources of their own (src/service/policy-parts.ts). A write is an edit of the bundle:
 * validated as a bundle import is, with problems inside the body as 400 `policy_invalid`
 * and what still uses a removed name as 409 `conflict`; an edit that would change a fixed role
 * is 409 `role_fixed`. Bodies are a module or a role
 * exactly as in a bundle, and `{ "description": ... }` for a flag.
 */
import type { FastifyInstance } from 'fastify'
import { NAME_PATTERN } from '../../../../service/index.js'
import type { PolicyPart } from '../../../../service/index.js'
import { documentMedia } from '../../../media.js'
import { etag, writeOptions } from '../../../revision.js'
import { AUTH_ERRORS, BODY_ERRORS, errorResponses, tenantIdSchema, tenantParamsSchema, withEtag, writeHeadersSchema } from '../../../schemas/common.js'

interface Params { tenant: string, name: string }
interface DeleteQuery { cascade?: 'true' | 'false' }

/** How every write of a part treats fixed roles (src/service/fixed-roles.ts). */
const FIXED_NOTE = 'A fixed role (`fixed: true`) changes only by a whole-bundle import (`PUT .../policy`): a write of it, a deletion of it, and a module or ' +
  'flag edit that would change what a fixed role grants (its definition, an action or a field mode) are a 409 `role_fixed` naming the role.'

const NOUN: Record<PolicyPart, string> = { modules: 'module', flags: 'flag', roles: 'role' }
const TITLE: Record<PolicyPart, string> = { modules: 'Module', flags: 'Flag', roles: 'Role' }

/** Where each part's definition is described in the `Bundle` component. */
const DEFINITION: Record<PolicyPart, object> = {
  modules: { $ref: '#/components/schemas/Bundle/properties/modules/additionalProperties' },
  roles: { $ref: '#/components/schemas/Bundle/properties/roles/additionalProperties' },
  flags: {
    type: 'object',
    required: ['description'],
    additionalProperties: false,
    properties: { description: { type: 'string', maxLength: 1000, description: 'what holding the flag lets a user do' } }
  }
}

/** ajv checks the shape of a flag body; modules and roles are checked by the engine, with bundle paths. */
const bodySchema = (part: PolicyPart): object => part === 'flags' ? DEFINITION.flags : { type: 'object', description: `the ${NOUN[part]}, as in a bundle` }

const paramsSchema = (part: PolicyPart) => ({
  type: 'object',
  required: ['tenant', 'name'],
  additionalProperties: false,
  properties: { tenant: tenantIdSchema, name: { type: 'string', pattern: NAME_PATTERN, maxLength: 100, description: `the ${NOUN[part]} name` } }
}) as const

const deleteQuerySchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    cascade: { type: 'string', enum: ['true', 'false'], description: 'modules and flags: also remove what the policy itself says of them (role grants, required flags); subjects are never changed' }
  }
} as const

/** The wire form of a definition: flags are stored as their description. */
const toWire = (part: PolicyPart, value: unknown): unknown => part === 'flags' ? { description: value } : value
const fromWire = (part: PolicyPart, body: unknown): unknown => part === 'flags' ? (body as { description: string }).description : body

export async function policyPartRoutes (app: FastifyInstance): Promise<void> {
  const config = { access: { kind: 'tenant', scope: 'admin' } } as const
  for (const part of ['modules', 'flags', 'roles'] as const) {
    const noun = NOUN[part]
    const definition = DEFINITION[part]

    app.get<{ Params: { tenant: string } }>(`/v1/tenants/:tenant/${part}`, {
      config: { ...config, swaggerTransform: documentMedia({ ok: { description: `every ${noun}, by name`, etag: true, content: { 'application/json': { type: 'object', required: [part], properties: { [part]: { type: 'object', additionalProperties: definition } } } } } }) },
      schema: {
        tags: ['policy'],
        operationId: `list${TITLE[part]}s`,
        summary: `List the ${part} of the tenant's policy`,
        params: tenantParamsSchema,
        response: errorResponses('validation_failed', ...AUTH_ERRORS, 'tenant_not_found')
      }
    }, async (request, reply) => {
      const { items, revision } = await app.services.policyParts.list(request.params.tenant, part)
      const wire = Object.fromEntries(Object.entries(items).map(([name, value]) => [name, toWire(part, value)]))
      return etag(reply, revision).send({ [part]: wire })
    })

    app.get<{ Params: Params }>(`/v1/tenants/:tenant/${part}/:name`, {
      config: { ...config, swaggerTransform: documentMedia({ ok: { description: `the ${noun}`, etag: true, content: { 'application/json': definition } } }) },
      schema: {
        tags: ['policy'],
        operationId: `get${TITLE[part]}`,
        summary: `Read a ${noun} of the tenant's policy`,
        params: paramsSchema(part),
        response: errorResponses('validation_failed', ...AUTH_ERRORS, 'tenant_not_found', 'not_found')
      }
    }, async (request, reply) => {
      const { value, revision } = await app.services.policyParts.get(request.params.tenant, part, request.params.name)
      return etag(reply, revision).send(toWire(part, value))
    })

    app.put<{ Params: Params, Body: unknown }>(`/v1/tenants/:tenant/${part}/:name`, {
      config: {
        ...config,
        swaggerTransform: documentMedia({ body: { 'application/json': definition } })
      },
      schema: {
        tags: ['policy'],
        operationId: `put${TITLE[part]}`,
        summary: `Create or replace a ${noun} of the tenant's policy`,
        description: `The same as importing the bundle with this ${noun} changed: an invalid ${noun} is a 400 \`policy_invalid\` naming each problem ` +
          '(paths relative to the body); a change that leaves something using a name it removes (a role scope on a dropped relation, a subject ' +
          'override on a dropped action) is a 409 `conflict` naming each user. Edits run one at a time under the tenant\'s lock, so that ' +
          'concurrent edits of different parts all land: without `If-Match` an edit never answers 412. A PUT of the definition already stored changes nothing and ' +
          'writes nothing (no revision, no audit entry): 200 with the current revision. `__proto__` is a reserved name (400). ' +
          FIXED_NOTE,
        params: paramsSchema(part),
        headers: writeHeadersSchema,
        body: bodySchema(part),
        response: {
          200: withEtag({}, `the ${noun} was replaced`),
          201: withEtag({}, `the ${noun} was created`),
          ...errorResponses(...BODY_ERRORS, 'policy_invalid', ...AUTH_ERRORS, 'tenant_not_found', 'conflict', 'role_fixed', 'revision_mismatch')
        }
      }
    }, async (request, reply) => {
      const { value, created, revision } = await app.services.policyParts.put(request.params.tenant, part, request.params.name, fromWire(part, request.body), writeOptions(request))
      return etag(reply, revision).code(created ? 201 : 200).send(toWire(part, value))
    })

    app.delete<{ Params: Params, Querystring: DeleteQuery }>(`/v1/tenants/:tenant/${part}/:name`, {
      config,
      schema: {
        tags: ['policy'],
        operationId: `delete${TITLE[part]}`,
        summary: `Delete a ${noun} of the tenant's policy`,
        description: `Refused with 409 \`conflict\` while something uses the ${noun} (each use named in \`details\`)` +
          (part === 'roles' ? ': subjects holding the role must drop it first.' : '; `?cascade=true` also removes the references the policy itself holds (subjects still refuse it).') +
          ` ${FIXED_NOTE}`,
        params: paramsSchema(part),
        querystring: deleteQuerySchema,
        headers: writeHeadersSchema,
        response: {
          204: withEtag({ type: 'null' }, `the ${noun} was deleted`),
          ...errorResponses('validation_failed', ...AUTH_ERRORS, 'tenant_not_found', 'not_found', 'conflict', 'role_fixed', 'revision_mismatch')
        }
      }
    }, async (request, reply) => {
      const { revision } = await app.services.policyParts.delete(request.params.tenant, part, request.params.name, { ...writeOptions(request), cascade: request.query.cascade === 'true' })
      return etag(reply, revision).code(204).send()
    })
  }
}
