/**
 * The policy test suite format (docs/policy-tests.md), defined once in TypeBox: its
 * documented JSON Schema, published as schemas/policy-test-suite.schema.json for editors
 * (`# yaml-language-server: $schema=...`) and in OpenAPI, and the key lists the loader
 * (`load.ts`) checks against. The loader also checks what a schema cannot: references to
 * subjects, resources, roles, actions and fields. An inline bundle is the engine's bundle
 * format, embedded as documented.
 */
import Type from 'typebox'
import type { TSchema } from 'typebox'
import { bundleJsonSchema, NAME_PATTERN, REASON_CODES } from '../../engine/index.js'

const Name = () => Type.String({ pattern: NAME_PATTERN })
const NonEmpty = (description?: string) => Type.String({ minLength: 1, ...(description === undefined ? {} : { description }) })
const NameList = (description?: string) => Type.Array(Name(), { uniqueItems: true, ...(description === undefined ? {} : { description }) })
const OneOrMany = (description: string) => Type.Unsafe<string | string[]>({
  description,
  oneOf: [NonEmpty(), Type.Array(NonEmpty(), { minItems: 1, uniqueItems: true })]
})
const ActionList = (description: string) => Type.Array(Name(), { minItems: 1, uniqueItems: true, description })
/** A map keyed by names, each value of `entry`. */
const NameMap = (entry: TSchema, description?: string) => Type.Unsafe<Record<string, unknown>>({
  type: 'object', ...(description === undefined ? {} : { description }), propertyNames: Name(), additionalProperties: entry
})

const Access = Type.Unsafe<unknown>({ oneOf: [Type.String({ enum: ['none', 'assigned', 'all'] }), NameList()] })

/** A value of a declared attribute: a string (timestamps in RFC 3339), a number, a boolean or a list of strings. */
const AttributeValue = () => Type.Unsafe<unknown>({ oneOf: [Type.String(), Type.Number(), Type.Boolean(), Type.Array(Type.String())] })
const AttributeMap = (description: string) => NameMap(AttributeValue(), description)

const ModuleOverride = Type.Object({
  access: Type.Optional(Access),
  level: Type.Optional(Type.String({ enum: ['limited', 'management', 'full'] })),
  allow: Type.Optional(NameList()),
  deny: Type.Optional(NameList()),
  when: Type.Optional(NameMap(Type.String(), 'Per action, a CEL condition restricting what the override grants.'))
}, { additionalProperties: false })

const Subject = Type.Object({
  roles: Type.Optional(NameList('Tenant-wide roles; default none.')),
  aliases: Type.Optional(Type.Array(NonEmpty(), { uniqueItems: true, description: 'Other ids of the same person (an e-mail, an identity provider\'s id).' })),
  projects: Type.Optional(Type.Unsafe<Record<string, string[]>>({ type: 'object', description: 'Project id to the roles held in that project.', additionalProperties: NameList() })),
  groups: Type.Optional(Type.Array(NonEmpty(), { uniqueItems: true })),
  status: Type.Optional(Type.String({ enum: ['active', 'inactive'] })),
  login: Type.Optional(Type.Boolean({ description: '`false`: assignable, but never allowed anything.' })),
  owner: Type.Optional(Type.Boolean({ description: 'The account owner: allowed everything.' })),
  attributes: Type.Optional(AttributeMap('Values of the bundle\'s `subject_attributes`.')),
  overrides: Type.Optional(Type.Object({
    flags: Type.Optional(NameMap(Type.Boolean())),
    modules: Type.Optional(NameMap(ModuleOverride))
  }, { additionalProperties: false }))
}, { additionalProperties: false, description: 'A subject (user); the entry\'s key is its id.' })

const AclEntry = Type.Object({
  who: NonEmpty('A subject id or alias, `group:<id>`, `role:<id>` or `*`.'),
  allow: Type.Optional(NameList()),
  deny: Type.Optional(NameList()),
  when: Type.Optional(Type.String({ description: 'A CEL condition on the subject, the action and the context.' }))
}, { additionalProperties: false })

const Properties = Type.Object({
  project: Type.Optional(NonEmpty()),
  parent: Type.Optional(NonEmpty('Id of a resource of the same module in the suite.')),
  acl: Type.Optional(Type.Array(AclEntry))
}, {
  description: '`project`, `parent` and `acl` are reserved; every other property is a relation or a declared attribute of the module.',
  additionalProperties: AttributeValue()
})

const StoredResource = Type.Object({ type: Name(), id: NonEmpty(), properties: Type.Optional(Properties) }, { additionalProperties: false })
const InlineResource = Type.Object({ type: Name(), id: Type.Optional(NonEmpty()), properties: Type.Optional(Properties) }, { additionalProperties: false })

const Fields = Type.Object({ visible: Type.Optional(NameList()), editable: Type.Optional(NameList()) }, { additionalProperties: false, minProperties: 1 })

const Case = Type.Object({
  name: Type.Optional(NonEmpty()),
  says: Type.Optional(OneOrMany('The seed sentence(s) this case proves, quoted.')),
  subject: Type.Optional(OneOrMany('Subject id(s) or alias(es) of the suite.')),
  role: Type.Optional(OneOrMany('Role name(s): a subject holding exactly that tenant-wide role.')),
  action: Type.Optional(Name()),
  resource: Type.Unsafe<unknown>({ description: '`type/id` of a resource of the suite, or a resource given inline.', oneOf: [NonEmpty(), InlineResource] }),
  expect: Type.Optional(Type.String({ enum: ['allow', 'deny'] })),
  reason: Type.Optional(Type.String({ enum: Object.keys(REASON_CODES).filter(c => c !== 'evaluation_error') })),
  fields: Type.Optional(Fields),
  allow: Type.Optional(ActionList('Actions expected to be allowed (table row).')),
  deny: Type.Optional(ActionList('Actions expected to be denied (table row).')),
  action_properties: Type.Optional(Type.Unsafe<Record<string, unknown>>({ type: 'object', description: 'AuthZEN `action.properties`: what conditions read as `action.<property>`.' })),
  context: Type.Optional(Type.Unsafe<Record<string, unknown>>({ type: 'object', description: 'AuthZEN `context`: what conditions read as `context.<key>`.' })),
  subject_properties: Type.Optional(AttributeMap('AuthZEN `subject.properties`: declared subject attributes replacing the stored ones for this case.'))
}, {
  additionalProperties: false,
  // Documentation of rules the loader checks by hand, with its own words.
  allOf: [
    { oneOf: [{ required: ['subject'] }, { required: ['role'] }] },
    {
      oneOf: [
        { required: ['action', 'expect'], not: { anyOf: [{ required: ['allow'] }, { required: ['deny'] }] } },
        { anyOf: [{ required: ['allow'] }, { required: ['deny'] }], not: { anyOf: [{ required: ['action'] }, { required: ['expect'] }] } }
      ]
    }
  ]
})

const Suite = Type.Object({
  $schema: Type.Optional(Type.String()),
  name: Type.Optional(Type.String()),
  description: Type.Optional(Type.String()),
  bundle: Type.Optional(Type.Unsafe<unknown>({
    description: 'The policy bundle, inline, or the path of a YAML or JSON bundle file relative to the suite file.',
    oneOf: [NonEmpty(), bundleJsonSchema]
  })),
  subjects: Type.Optional(Type.Unsafe<Record<string, unknown>>({ type: 'object', description: 'Subject id to subject.', additionalProperties: Subject })),
  resources: Type.Optional(Type.Array(StoredResource, { description: 'Stored resources.' })),
  cases: Type.Array(Case, { minItems: 1 })
}, { title: 'gatehouse policy test suite', additionalProperties: false })

/** JSON Schema (draft-07) of a gatehouse policy test suite (docs/policy-tests.md). */
export const suiteJsonSchema = JSON.parse(JSON.stringify({ $schema: 'http://json-schema.org/draft-07/schema#', ...Suite })) as Record<string, unknown>

/** The keys of each object of the format, in the order the definition gives them (what the loader accepts). */
export const SUITE_KEYS: readonly string[] = Object.keys(Suite.properties)
export const RESOURCE_KEYS: readonly string[] = Object.keys(StoredResource.properties)
export const CASE_KEYS: readonly string[] = Object.keys(Case.properties)
export const FIELDS_KEYS: readonly string[] = Object.keys(Fields.properties)
