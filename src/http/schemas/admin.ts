/**
 * Administration bodies. Closed shapes (`additionalProperties: false`): a misspelt key
 * is a 400 naming it, never silently dropped (a dropped `deny` would widen access).
 */
import { KEY_SCOPES } from '../../service/index.js'
import { clientIdSchema, tenantIdSchema } from './common.js'
import { subjectResponseSchema } from './subject.js'

const nameList = { type: 'array', maxItems: 1000, uniqueItems: true, items: { type: 'string', minLength: 1, maxLength: 256 } } as const

export const tenantBodySchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    name: { type: 'string', minLength: 1, maxLength: 200, description: 'display name; default: the tenant id' }
  }
} as const

export const tenantResponseSchema = {
  type: 'object',
  required: ['id', 'name', 'revision', 'createdAt'],
  additionalProperties: false,
  properties: {
    id: { type: 'string' },
    name: { type: 'string' },
    revision: { type: 'integer' },
    createdAt: { type: 'string', format: 'date-time' }
  }
} as const

export const keyBodySchema = {
  type: 'object',
  required: ['scopes'],
  additionalProperties: false,
  properties: {
    scopes: {
      type: 'array',
      minItems: 1,
      maxItems: KEY_SCOPES.length,
      uniqueItems: true,
      items: { type: 'string', enum: KEY_SCOPES },
      description: '`check`: decisions; `admin`: reading and changing the tenant; `audit`: reading the audit log'
    },
    actor: { type: 'string', enum: ['optional', 'required'], description: '`required`: every write with this key must name its acting user (`Gatehouse-Actor`); default `optional`' }
  }
} as const

export const keyResponseSchema = {
  type: 'object',
  required: ['id', 'tenant', 'scopes', 'actor', 'secret'],
  additionalProperties: false,
  properties: {
    id: { type: 'string' },
    tenant: { type: 'string' },
    scopes: { type: 'array', items: { type: 'string', enum: KEY_SCOPES } },
    actor: { type: 'string', enum: ['optional', 'required'] },
    secret: { type: 'string', description: 'the bearer token `gh_<id>_<secret>`, shown only here: only its hash is stored' }
  }
} as const

export const policyWrittenResponseSchema = {
  type: 'object',
  required: ['revision'],
  additionalProperties: false,
  properties: { revision: { type: 'integer' } }
} as const

/** A typed attribute's value, as JSON carries it; its type is checked against the policy by the engine. */
const attributeValueSchema = {
  description: 'a string (a `timestamp` is RFC 3339 text; an enum value), a number, a boolean, or a list of strings',
  anyOf: [
    { type: 'string', maxLength: 10000 },
    { type: 'number' },
    { type: 'boolean' },
    { type: 'array', maxItems: 1000, items: { type: 'string', maxLength: 10000 } }
  ]
} as const

// The engine checks each key against the module: a relation's values are non-empty strings.
const relationOrAttributeValue = {
  ...attributeValueSchema,
  description: 'a relation\'s value (a user id, alias or `group:<id>`, or a list of them), or the value of an attribute of the module'
} as const

export const resourcePropertiesSchema = {
  type: 'object',
  description: '`project`, `parent` (a resource of the same module) and `acl` are reserved; every other key is a relation or an attribute of the module',
  properties: {
    project: { type: 'string', minLength: 1, maxLength: 256 },
    parent: { type: 'string', minLength: 1, maxLength: 256 },
    acl: {
      type: 'array',
      maxItems: 1000,
      items: {
        type: 'object',
        required: ['who'],
        additionalProperties: false,
        properties: {
          who: { type: 'string', minLength: 1, maxLength: 256, description: 'a user id or alias, `group:<id>`, `role:<id>` or `*`' },
          allow: nameList,
          deny: nameList,
          when: { type: 'string', minLength: 1, maxLength: 10000, description: 'a condition (CEL) under which the entry applies; it may read the subject, the action and the context, not the resource (README, "Conditions on data")' }
        }
      }
    }
  },
  additionalProperties: relationOrAttributeValue
} as const

export const resourceResponseSchema = {
  type: 'object',
  required: ['type', 'id', 'properties'],
  additionalProperties: false,
  properties: {
    type: { type: 'string' },
    id: { type: 'string' },
    properties: resourcePropertiesSchema
  }
} as const

export const resourceListQuerySchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    limit: { type: 'string', pattern: '^(?:[1-9][0-9]{0,2}|1000)$', description: 'page size, 1 to 1000 (default 100)' },
    after: { ...clientIdSchema, description: 'the `next` of the previous page' }
  }
} as const

export const resourceListResponseSchema = {
  type: 'object',
  required: ['resources', 'next'],
  additionalProperties: false,
  properties: {
    resources: { type: 'array', items: resourceResponseSchema, description: 'by id, in the store\'s order (ascending)' },
    next: { type: 'string', description: 'pass as `after` for the next page; `""` on the last page' }
  }
} as const

const keyViewSchema = {
  type: 'object',
  required: ['id', 'scopes', 'actor', 'createdAt', 'revokedAt'],
  additionalProperties: false,
  properties: {
    id: { type: 'string' },
    scopes: { type: 'array', items: { type: 'string', enum: KEY_SCOPES } },
    actor: { type: 'string', enum: ['optional', 'required'] },
    createdAt: { type: 'string', format: 'date-time' },
    revokedAt: { type: ['string', 'null'], format: 'date-time', description: '`null` while the key works' }
  }
} as const

export const keyListResponseSchema = {
  type: 'object',
  required: ['keys'],
  additionalProperties: false,
  properties: { keys: { type: 'array', items: keyViewSchema, description: 'oldest first, revoked keys included; secrets are never shown again' } }
} as const

export const keyRevokedResponseSchema = {
  type: 'object',
  required: ['key', 'revision'],
  additionalProperties: false,
  properties: { key: keyViewSchema, revision: { type: 'integer' } }
} as const

export const keyParamsSchema = {
  type: 'object',
  required: ['tenant', 'id'],
  additionalProperties: false,
  properties: {
    tenant: tenantIdSchema,
    id: { type: 'string', pattern: '^[0-9a-f]{24}$', description: 'the key id: 24 hexadecimal digits, the part after `gh_` in the bearer token' }
  }
} as const

export const subjectListQuerySchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    role: { type: 'string', minLength: 1, description: 'subjects holding this role, tenant-wide or in a project' },
    group: { type: 'string', minLength: 1, description: 'subjects in this group' },
    project: { type: 'string', minLength: 1, description: 'subjects holding a role in this project' },
    limit: { type: 'string', pattern: '^(?:[1-9][0-9]{0,2}|1000)$', description: 'page size, 1 to 1000 (default 100)' },
    after: { type: 'string', minLength: 1, description: 'the `next` of the previous page' }
  }
} as const

export const subjectListResponseSchema = {
  type: 'object',
  required: ['subjects', 'next'],
  additionalProperties: false,
  properties: {
    subjects: { type: 'array', items: subjectResponseSchema, description: 'by id ascending' },
    next: { type: 'string', description: 'pass as `after` for the next page; `""` on the last page' }
  }
} as const

export const groupBodySchema = {
  type: 'object',
  additionalProperties: false,
  properties: { description: { type: 'string', maxLength: 1000 } }
} as const

export const groupResponseSchema = {
  type: 'object',
  required: ['id', 'description', 'members'],
  additionalProperties: false,
  properties: {
    id: { type: 'string' },
    description: { type: 'string' },
    members: { type: 'array', items: { type: 'string' }, description: 'the subjects naming the group in their `groups`, by id' }
  }
} as const

export const groupListResponseSchema = {
  type: 'object',
  required: ['groups'],
  additionalProperties: false,
  properties: { groups: { type: 'array', items: groupResponseSchema } }
} as const
