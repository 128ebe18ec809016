/**
 * The JSON Schema (draft-07) of a policy test suite, published as
 * schemas/policy-test-suite.schema.json for editors (`# yaml-language-server: $schema=...`).
 * It documents the shape only; the loader (`load.ts`) is the validator, and also checks
 * what a schema cannot: references to subjects, resources, roles, actions and fields.
 */
import { bundleJsonSchema, NAME_PATTERN, REASON_CODES } from '../../engine/index.js'

const name = { type: 'string', pattern: NAME_PATTERN } as const
const nonEmpty = { type: 'string', minLength: 1 } as const
const nameList = { type: 'array', items: name, uniqueItems: true } as const
const oneOrMany = (description: string): Record<string, unknown> => ({
  description,
  oneOf: [nonEmpty, { type: 'array', items: nonEmpty, minItems: 1, uniqueItems: true }]
})
const actionList = (description: string): Record<string, unknown> => ({ type: 'array', items: name, minItems: 1, uniqueItems: true, description })

const access = {
  oneOf: [{ type: 'string', enum: ['none', 'assigned', 'all'] }, nameList]
} as const

/** A value of a declared attribute: a string (timestamps in RFC 3339), a number, a boolean or a list of strings. */
const attributeValue = { oneOf: [{ type: 'string' }, { type: 'number' }, { type: 'boolean' }, { type: 'array', items: { type: 'string' } }] } as const
const attributeMap = (description: string): Record<string, unknown> => ({ type: 'object', description, propertyNames: name, additionalProperties: attributeValue })

const subject = {
  type: 'object',
  description: 'A subject (user); the entry\'s key is its id.',
  additionalProperties: false,
  properties: {
    roles: { ...nameList, description: 'Tenant-wide roles; default none.' },
    aliases: { type: 'array', items: nonEmpty, uniqueItems: true, description: 'Other ids of the same person (an e-mail, an identity provider\'s id).' },
    projects: { type: 'object', description: 'Project id to the roles held in that project.', additionalProperties: nameList },
    groups: { type: 'array', items: nonEmpty, uniqueItems: true },
    status: { type: 'string', enum: ['active', 'inactive'] },
    login: { type: 'boolean', description: '`false`: assignable, but never allowed anything.' },
    owner: { type: 'boolean', description: 'The account owner: allowed everything.' },
    attributes: attributeMap('Values of the bundle\'s `subject_attributes`.'),
    overrides: {
      type: 'object',
      additionalProperties: false,
      properties: {
        flags: { type: 'object', propertyNames: name, additionalProperties: { type: 'boolean' } },
        modules: {
          type: 'object',
          propertyNames: name,
          additionalProperties: {
            type: 'object',
            additionalProperties: false,
            properties: {
              access,
              level: { type: 'string', enum: ['limited', 'management', 'full'] },
              allow: nameList,
              deny: nameList,
              when: { type: 'object', description: 'Per action, a CEL condition restricting what the override grants.', propertyNames: name, additionalProperties: { type: 'string' } }
            }
          }
        }
      }
    }
  }
} as const

const properties = {
  type: 'object',
  description: '`project`, `parent` and `acl` are reserved; every other property is a relation or a declared attribute of the module.',
  properties: {
    project: nonEmpty,
    parent: { ...nonEmpty, description: 'Id of a resource of the same module in the suite.' },
    acl: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['who'],
        properties: {
          who: { ...nonEmpty, description: 'A subject id or alias, `group:<id>`, `role:<id>` or `*`.' },
          allow: nameList,
          deny: nameList,
          when: { type: 'string', description: 'A CEL condition on the subject, the action and the context.' }
        }
      }
    }
  },
  additionalProperties: { oneOf: [{ type: 'string' }, { type: 'number' }, { type: 'boolean' }, { type: 'array', items: { type: 'string' } }] }
} as const

const storedResource = {
  type: 'object',
  additionalProperties: false,
  required: ['type', 'id'],
  properties: { type: name, id: nonEmpty, properties }
} as const

const caseSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['resource'],
  properties: {
    name: nonEmpty,
    says: oneOrMany('The seed sentence(s) this case proves, quoted.'),
    subject: oneOrMany('Subject id(s) or alias(es) of the suite.'),
    role: oneOrMany('Role name(s): a subject holding exactly that tenant-wide role.'),
    action: name,
    expect: { type: 'string', enum: ['allow', 'deny'] },
    allow: actionList('Actions expected to be allowed (table row).'),
    deny: actionList('Actions expected to be denied (table row).'),
    resource: {
      description: '`type/id` of a resource of the suite, or a resource given inline.',
      oneOf: [
        nonEmpty,
        { type: 'object', additionalProperties: false, required: ['type'], properties: { type: name, id: nonEmpty, properties } }
      ]
    },
    reason: { type: 'string', enum: Object.keys(REASON_CODES).filter(c => c !== 'evaluation_error') },
    action_properties: { type: 'object', description: 'AuthZEN `action.properties`: what conditions read as `action.<property>`.' },
    context: { type: 'object', description: 'AuthZEN `context`: what conditions read as `context.<key>`.' },
    subject_properties: attributeMap('AuthZEN `subject.properties`: declared subject attributes replacing the stored ones for this case.'),
    fields: {
      type: 'object',
      additionalProperties: false,
      minProperties: 1,
      properties: { visible: nameList, editable: nameList }
    }
  },
  allOf: [
    { oneOf: [{ required: ['subject'] }, { required: ['role'] }] },
    {
      oneOf: [
        { required: ['action', 'expect'], not: { anyOf: [{ required: ['allow'] }, { required: ['deny'] }] } },
        { anyOf: [{ required: ['allow'] }, { required: ['deny'] }], not: { anyOf: [{ required: ['action'] }, { required: ['expect'] }] } }
      ]
    }
  ]
} as const

/** JSON Schema (draft-07) of a gatehouse policy test suite (docs/policy-tests.md). */
export const suiteJsonSchema = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  title: 'gatehouse policy test suite',
  type: 'object',
  additionalProperties: false,
  required: ['cases'],
  properties: {
    $schema: { type: 'string' },
    name: { type: 'string' },
    description: { type: 'string' },
    bundle: {
      description: 'The policy bundle, inline, or the path of a YAML or JSON bundle file relative to the suite file.',
      oneOf: [nonEmpty, bundleJsonSchema]
    },
    subjects: { type: 'object', description: 'Subject id to subject.', additionalProperties: subject },
    resources: { type: 'array', description: 'Stored resources.', items: storedResource },
    cases: { type: 'array', minItems: 1, items: caseSchema }
  }
} as const
