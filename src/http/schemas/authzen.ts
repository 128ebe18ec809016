/**
 * AuthZEN Authorization API 1.0 bodies. Receivers must ignore unknown fields, so no
 * schema here closes `additionalProperties`; what is present must be well typed.
 */
import { EVALUATIONS_SEMANTICS, MAX_SEARCH_LIMIT, REASON_CODES } from '../../service/index.js'
import { tenantIdSchema } from './common.js'

const propertiesSchema = { type: 'object', description: 'any JSON object' } as const

const entityPropertiesSchema = {
  type: 'object',
  description: 'any JSON object. A subject\'s: values of the policy\'s `subject_attributes` replace the stored ones for this request (a declared one of another type: 400 naming it); other keys are ignored. ' +
    'A resource\'s: the resource as evaluated instead of the stored one (`project`, `parent`, `acl`, its relations and attributes; an attribute of another type: 400 naming it)'
} as const

const actionPropertiesSchema = { type: 'object', description: 'any JSON object; conditions read it as `action.<property>`' } as const

/** A complete subject or resource: `type` and `id` required. */
const entitySchema = (what: string) => ({
  type: 'object',
  description: what,
  required: ['type', 'id'],
  properties: {
    type: { type: 'string' },
    id: { type: 'string' },
    properties: entityPropertiesSchema
  }
}) as const

const actionSchema = {
  type: 'object',
  description: 'the action; `name` is an action of the module',
  required: ['name'],
  properties: {
    name: { type: 'string' },
    properties: actionPropertiesSchema
  }
} as const

/** A default or an item entity in a batch: keys typed when present, none required (checked after defaults). */
const partialEntitySchema = (what: string) => ({
  type: 'object',
  description: what,
  properties: {
    type: { type: 'string' },
    id: { type: 'string' },
    properties: entityPropertiesSchema
  }
}) as const

const partialActionSchema = {
  type: 'object',
  properties: {
    name: { type: 'string' },
    properties: actionPropertiesSchema
  }
} as const

const contextSchema = { type: 'object', description: 'the environment of the request: conditions read it as `context.<key>`; gatehouse itself reads one member: `min_revision` (a non-negative integer, the revision a write returned) makes it answer from a tenant state at least that new, or 400 `revision_ahead` when the database has not reached it' } as const

export const evaluationBodySchema = {
  type: 'object',
  required: ['subject', 'action', 'resource'],
  properties: {
    subject: entitySchema('the subject: `id` is a stored subject id or alias; any `type` is accepted'),
    action: actionSchema,
    resource: entitySchema('the resource: `type` is the module; with `properties` it is evaluated as sent, else the stored resource (if any) is used'),
    context: contextSchema
  }
} as const

const evaluationItemSchema = {
  type: 'object',
  description: 'one evaluation; an entity given here replaces the top-level default as a whole',
  properties: {
    subject: partialEntitySchema('the subject'),
    action: partialActionSchema,
    resource: partialEntitySchema('the resource'),
    context: contextSchema
  }
} as const

/** Most evaluations accepted in one batch. */
export const MAX_EVALUATIONS = 1000

export const evaluationsBodySchema = {
  type: 'object',
  properties: {
    subject: partialEntitySchema('default subject of every evaluation'),
    action: partialActionSchema,
    resource: partialEntitySchema('default resource of every evaluation'),
    context: contextSchema,
    evaluations: { type: 'array', maxItems: MAX_EVALUATIONS, items: evaluationItemSchema },
    options: {
      type: 'object',
      properties: {
        evaluations_semantic: { type: 'string', enum: EVALUATIONS_SEMANTICS },
        context: { type: 'boolean', description: 'gatehouse extension: `true` adds reason, fields and revision to each item' }
      }
    }
  }
} as const

const decisionContextSchema = {
  type: 'object',
  required: ['reason', 'revision'],
  additionalProperties: false,
  properties: {
    reason: {
      type: 'object',
      required: ['code', 'message'],
      additionalProperties: false,
      properties: {
        code: { type: 'string', enum: Object.keys(REASON_CODES), description: 'the step of the decision order that decided' },
        message: { type: 'string' }
      }
    },
    fields: {
      type: 'object',
      description: 'on an allowed decision on a module with fields',
      required: ['visible', 'editable'],
      additionalProperties: false,
      properties: {
        visible: { type: 'array', items: { type: 'string' } },
        editable: { type: 'array', items: { type: 'string' } }
      }
    },
    revision: { type: 'integer', description: 'the tenant revision the decision was made at' }
  }
} as const

export const evaluationResponseSchema = {
  type: 'object',
  required: ['decision', 'context'],
  additionalProperties: false,
  properties: {
    decision: { type: 'boolean' },
    context: decisionContextSchema
  }
} as const

export const evaluationsResponseSchema = {
  description: 'the decisions in request order (shorter when a short-circuit semantic stopped early); without `evaluations` in the request, a single evaluation response',
  anyOf: [
    {
      type: 'object',
      required: ['evaluations'],
      additionalProperties: false,
      properties: {
        evaluations: {
          type: 'array',
          items: {
            type: 'object',
            required: ['decision'],
            additionalProperties: false,
            properties: {
              decision: { type: 'boolean' },
              context: decisionContextSchema
            }
          }
        }
      }
    },
    evaluationResponseSchema
  ]
} as const

export const decisionHeadersSchema = {
  type: 'object',
  properties: {
    'gatehouse-tenant': { ...tenantIdSchema, description: 'the tenant of the decision; required with the root key, optional (and checked) with a tenant key' }
  }
} as const

export const metadataResponseSchema = {
  type: 'object',
  description: 'AuthZEN PDP metadata: only the endpoints this server implements are listed',
  required: ['policy_decision_point', 'access_evaluation_endpoint'],
  additionalProperties: false,
  properties: {
    policy_decision_point: { type: 'string' },
    access_evaluation_endpoint: { type: 'string' },
    access_evaluations_endpoint: { type: 'string' },
    search_subject_endpoint: { type: 'string' },
    search_resource_endpoint: { type: 'string' },
    search_action_endpoint: { type: 'string' }
  }
} as const

// --- search (AuthZEN 1.0 §7: subject, resource and action search) -------------------

/** An entity of a search whose `id` is ignored (the entity searched for). */
const searchedEntitySchema = (what: string) => ({
  type: 'object',
  description: what,
  required: ['type'],
  properties: {
    type: { type: 'string' },
    id: { type: 'string', description: 'ignored: this is the entity searched for' },
    properties: propertiesSchema
  }
}) as const

const pageRequestSchema = {
  type: 'object',
  description: 'paging: `limit` results per page (default and maximum 1000); `token` is the `next_token` of the previous page, sent with an otherwise identical request',
  properties: {
    token: { type: 'string', minLength: 1 },
    limit: { type: 'integer', minimum: 1, maximum: MAX_SEARCH_LIMIT }
  }
} as const

const pageResponseSchema = {
  type: 'object',
  required: ['next_token', 'count'],
  additionalProperties: false,
  properties: {
    next_token: { type: 'string', description: 'the token of the next page; `""` on the last page' },
    count: { type: 'integer', description: 'the number of results in this page' }
  }
} as const

const typedIdSchema = {
  type: 'object',
  required: ['type', 'id'],
  additionalProperties: false,
  properties: { type: { type: 'string' }, id: { type: 'string' } }
} as const

export const resourceSearchBodySchema = {
  type: 'object',
  required: ['subject', 'action', 'resource'],
  properties: {
    subject: entitySchema('the subject: `id` is a stored subject id or alias'),
    action: actionSchema,
    resource: searchedEntitySchema('the resources searched for: `type` is the module'),
    context: contextSchema,
    page: pageRequestSchema
  }
} as const

export const subjectSearchBodySchema = {
  type: 'object',
  required: ['subject', 'action', 'resource'],
  properties: {
    subject: searchedEntitySchema('the subjects searched for: results carry this `type`'),
    action: actionSchema,
    resource: entitySchema('the resource: `type` is the module; with `properties` it is evaluated as sent, else the stored resource (if any) is used'),
    context: contextSchema,
    page: pageRequestSchema
  }
} as const

export const actionSearchBodySchema = {
  type: 'object',
  required: ['subject', 'resource'],
  properties: {
    subject: entitySchema('the subject: `id` is a stored subject id or alias'),
    resource: entitySchema('the resource: `type` is the module; with `properties` it is evaluated as sent, else the stored resource (if any) is used'),
    context: contextSchema,
    page: pageRequestSchema
  }
} as const

const revisionSchema = { type: 'integer', description: 'the tenant revision the search was made at' } as const

/** A search response: `page` first, bare `results` items, gatehouse's additions in `context`. */
function searchResponseSchema<I extends object, C extends Record<string, object>> (items: I, context: C, required: ReadonlyArray<keyof C & string>) {
  return {
    type: 'object',
    required: ['page', 'results', 'context'],
    additionalProperties: false,
    properties: {
      page: pageResponseSchema,
      results: { type: 'array', items },
      context: { type: 'object', required: ['revision', ...required], additionalProperties: false, properties: { revision: revisionSchema, ...context } }
    }
  } as const
}

export const resourceSearchResponseSchema = searchResponseSchema(typedIdSchema, { plan: { $ref: 'QueryPlan#' } }, ['plan'])

export const subjectSearchResponseSchema = searchResponseSchema(typedIdSchema, {}, [])

export const actionSearchResponseSchema = searchResponseSchema(
  { type: 'object', required: ['name'], additionalProperties: false, properties: { name: { type: 'string' } } },
  {
    fields: {
      type: 'object',
      description: 'on a module with fields: per returned action, the fields the subject may see and edit',
      additionalProperties: decisionContextSchema.properties.fields
    }
  },
  []
)
