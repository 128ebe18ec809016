/**
 * The JSON Schema (draft-07) of a policy bundle, for OpenAPI and for editors. It
 * documents the shape only: cross-references (a role naming a declared module, an
 * action, a flag, ...) are checked by `compileBundle`, the only bundle validator.
 * Self-contained (no `$ref`) so that it can be embedded anywhere.
 */
import { NAME_PATTERN } from './names.js'

const name = { type: 'string', pattern: NAME_PATTERN } as const
const nameList = { type: 'array', items: name, uniqueItems: true } as const
const description = { type: 'string', description: 'Free text for people reading the policy.' } as const
const level = {
  type: 'string',
  enum: ['limited', 'management', 'full'],
  description: 'Permission level, weakest first: `limited` < `management` < `full`.'
} as const
const access = {
  description: 'Which resources a grant reaches: `none`, `assigned` (the module\'s `assigned` relations), `all`, or a list of relations.',
  oneOf: [
    { type: 'string', enum: ['none', 'assigned', 'all'] },
    nameList
  ]
} as const

const condition = {
  type: 'string',
  description: 'A CEL condition (DESIGN.md §2, "Attributes and conditions"): `resource.<attribute|relation|id>`, `subject.<attribute|id|roles>`, `action.<property>`, `context.<key>`; comparisons, `in`, `&&`, `||`, `!`, `has()`, `timestamp()`. Checked at import; a missing value makes it false.'
} as const
const attributeName = { type: 'string', pattern: '^[A-Za-z_][A-Za-z0-9_]*$' } as const
const attributes = {
  type: 'object',
  propertyNames: attributeName,
  additionalProperties: {
    description: 'An attribute type: `string`, `number`, `boolean`, `timestamp` (RFC 3339), `[string]` or `{ enum: [...] }`.',
    oneOf: [
      { type: 'string', enum: ['string', 'number', 'boolean', 'timestamp'] },
      { type: 'array', items: { type: 'string', enum: ['string'] }, minItems: 1, maxItems: 1 },
      {
        type: 'object',
        additionalProperties: false,
        required: ['enum'],
        properties: { enum: { type: 'array', minItems: 1, uniqueItems: true, items: { type: 'string' } } }
      }
    ]
  }
} as const
/** Per action, a condition: what a grant or an override grants that action only where it holds. */
const whenMap = {
  type: 'object',
  description: 'Per action, a condition: the action is granted only where it holds.',
  propertyNames: name,
  additionalProperties: condition
} as const

const action = {
  type: 'object',
  additionalProperties: false,
  required: ['level'],
  properties: {
    description,
    level,
    flags: { ...nameList, description: 'Flags the subject must hold for the action.' },
    when: { ...condition, description: `Must hold for anyone to do the action, the owner included. ${condition.description}` }
  }
} as const

const field = {
  type: 'object',
  additionalProperties: false,
  properties: {
    description,
    flags: { ...nameList, description: 'Flags the subject must hold to see the field.' }
  }
} as const

const module = {
  type: 'object',
  additionalProperties: false,
  required: ['actions'],
  properties: {
    description,
    relations: { ...nameList, description: 'Resource properties that name users or groups (`group:<id>`).' },
    assigned: { ...nameList, description: 'The relations that access `assigned` means; default: every relation.' },
    attributes: {
      ...attributes,
      description: 'Typed properties of the resources that conditions read; not named like a relation, `project`, `parent`, `acl` or `id`.'
    },
    actions: { type: 'object', propertyNames: name, additionalProperties: action },
    fields: { type: 'object', propertyNames: name, additionalProperties: field }
  }
} as const

const grant = {
  type: 'object',
  additionalProperties: false,
  properties: {
    admin: { type: 'boolean', description: 'Every action on every resource of the module, ignoring levels, flags and ACLs.' },
    access: { ...access, description: 'Default `none`.' },
    level: { ...level, description: 'Actions whose level is within this one are granted; absent: only `allow` actions are.' },
    allow: { ...nameList, description: 'Actions granted whatever their level.' },
    deny: { ...nameList, description: 'Actions never granted by this grant.' },
    scope: {
      type: 'object',
      description: 'Per-action access that replaces `access` for that action.',
      propertyNames: name,
      additionalProperties: access
    },
    fields: {
      type: 'object',
      description: 'Per-field mode; default `edit` at level `management` or `full`, else `read`.',
      propertyNames: name,
      additionalProperties: { type: 'string', enum: ['hidden', 'read', 'edit'] }
    },
    when: whenMap
  }
} as const

const role = {
  type: 'object',
  additionalProperties: false,
  properties: {
    description,
    protected: { type: 'boolean', description: 'Only holders of a protected role may change holders of one.' },
    all: { type: 'boolean', description: 'Every action of every module.' },
    flags: nameList,
    modules: { type: 'object', propertyNames: name, additionalProperties: grant }
  }
} as const

/** JSON Schema (draft-07) of a gatehouse policy bundle (DESIGN.md §2). */
export const bundleJsonSchema = {
  title: 'gatehouse policy bundle',
  type: 'object',
  additionalProperties: false,
  required: ['version', 'modules', 'roles'],
  properties: {
    version: { type: 'integer', enum: [1] },
    flags: {
      type: 'object',
      description: 'Flag name to its description.',
      propertyNames: name,
      additionalProperties: { type: 'string' }
    },
    subject_attributes: {
      ...attributes,
      description: 'Typed subject attributes that conditions read (`subject.<name>`): stored under `attributes`, or given per request in `subject.properties`; not `id` or `roles`.'
    },
    modules: { type: 'object', propertyNames: name, additionalProperties: module },
    roles: { type: 'object', propertyNames: name, additionalProperties: role }
  }
} as const
