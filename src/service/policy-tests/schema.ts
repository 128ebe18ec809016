/**
 * The policy test suite format (docs/policy-tests.md), defined once in TypeBox. From this
 * definition come the suite's structural validation (`suiteFormat`, compiled by the
 * engine's one shape toolkit: types, unknown keys, empty and repeated entries, enums), its
 * documented JSON Schema (`suiteJsonSchema`, published as
 * schemas/policy-test-suite.schema.json for editors and in OpenAPI) and the types of its
 * parts. What a schema cannot say, the loader (`load.ts`) says: references to subjects,
 * resources, roles, modules, actions and fields, the rules across a case's properties
 * (`subject` or `role`; `action` and `expect`, or `allow` / `deny`), and reasons against
 * the engine's catalogue.
 *
 * Three parts are other formats', embedded in the documented schema only (an `issue`
 * note's `documented`): an inline bundle (the engine's bundle, which `compileBundle`
 * checks), a subject (the engine's subject document, without `id`: the entry's key) and a
 * resource's properties (checked against the module by `resourceFromProperties`).
 */
import Type from 'typebox'
import type { Static } from 'typebox'
import type { IssueNote } from '../../engine/index.js'
import { aclJsonSchema, bundleJsonSchema, defineFormat, documentedSchema, NAME_PATTERN, REASON_CODES, subjectJsonSchema } from '../../engine/index.js'
import { jsonType } from '../json-text.js'

const note = (issue: IssueNote): { issue: IssueNote } => ({ issue })
const described = (description?: string): { description?: string } => description === undefined ? {} : { description }

const Name = (description?: string) => Type.String({
  minLength: 1,
  pattern: NAME_PATTERN,
  ...described(description),
  ...note({ code: 'invalid_name', message: 'invalid name {value}: use letters, digits and `_ . : - / { }`' })
})
const NonEmpty = (description?: string) => Type.String({ minLength: 1, ...described(description) })
/** A list of distinct names, named `what` in messages (`fields.visible`). */
const NameList = (what: string, description?: string) => Type.Array(Name(), { uniqueItems: true, ...described(description), ...note({ what }) })
/** A non-empty string, or a non-empty list of distinct ones; `what` names it in messages (`` `subject` ``). */
const OneOrMany = (what: string, description: string) => Type.Union([
  NonEmpty(),
  Type.Array(NonEmpty(), { minItems: 1, uniqueItems: true })
], { description, ...note({ what, expected: 'a string or a list of strings' }) })
/** An action list of a table row: at least one action. */
const ActionList = (what: string, description: string) => Type.Array(Name(), { minItems: 1, uniqueItems: true, description, ...note({ what }) })
/** An object the engine checks against the policy: the validator reads only that it is an object; the documented schema says the rest. */
const Delegated = <T>(what: string, documented: Record<string, unknown>) => Type.Unsafe<T>({ type: 'object', ...note({ what, documented }) })

/** A value of a declared attribute: a string (timestamps in RFC 3339), a number, a boolean or a list of strings. */
const AttributeValue = { anyOf: [{ type: 'string' }, { type: 'number' }, { type: 'boolean' }, { type: 'array', items: { type: 'string' } }] }

const { id: _id, ...subjectProperties } = subjectJsonSchema.properties as Record<string, unknown>
const SubjectDoc = {
  additionalProperties: false,
  description: 'A subject (user); the entry\'s key is its id. Roles default to none.',
  properties: subjectProperties
}

const PropertiesDoc = {
  description: '`project`, `parent` and `acl` are reserved; every other property is a relation (a string or a list of them) or a declared attribute of the module.',
  properties: {
    project: { type: 'string', minLength: 1 },
    parent: { type: 'string', minLength: 1, description: 'Id of a resource of the same module in the suite.' },
    acl: aclJsonSchema
  },
  additionalProperties: AttributeValue
}
const Properties = () => Type.Optional(Delegated<Record<string, unknown>>('`properties`', PropertiesDoc))

const listKeys = { listKeys: true }

const StoredResource = Type.Object({
  type: Name('The module.'),
  id: NonEmpty(),
  properties: Properties()
}, { additionalProperties: false, ...note({ what: '`resources[{-1}]`', ...listKeys }) })

const InlineResource = Type.Object({
  type: Name('The module.'),
  id: Type.Optional(NonEmpty('Absent: a resource sent without id.')),
  properties: Properties()
}, { additionalProperties: false, ...note({ what: 'the resource of a case', ...listKeys }) })

const Fields = Type.Object({
  visible: Type.Optional(NameList('`fields.visible`')),
  editable: Type.Optional(NameList('`fields.editable`'))
}, {
  additionalProperties: false,
  minProperties: 1,
  description: 'The fields expected visible and editable on an allowed decision.',
  ...note({ what: '`fields`', code: 'missing_property', message: '`fields` must give `visible`, `editable` or both', ...listKeys })
})

/** Reasons a suite may expect: `evaluation_error` only comes from a failed batch item, never from a test run. */
export const EXPECTABLE_REASONS: readonly string[] = Object.keys(REASON_CODES).filter(code => code !== 'evaluation_error')

/** The rules across a case's properties, which the loader checks by hand with its own words: documented only. */
const CASE_RULES = [
  { oneOf: [{ required: ['subject'] }, { required: ['role'] }] },
  {
    oneOf: [
      { required: ['action', 'expect'], not: { anyOf: [{ required: ['allow'] }, { required: ['deny'] }] } },
      { anyOf: [{ required: ['allow'] }, { required: ['deny'] }], not: { anyOf: [{ required: ['action'] }, { required: ['expect'] }] } }
    ]
  }
]

const Case = Type.Object({
  name: Type.Optional(NonEmpty()),
  says: Type.Optional(OneOrMany('`says`', 'The seed sentence(s) this case proves, quoted.')),
  subject: Type.Optional(OneOrMany('`subject`', 'Subject id(s) or alias(es) of the suite.')),
  role: Type.Optional(OneOrMany('`role`', 'Role name(s): a subject holding exactly that tenant-wide role.')),
  action: Type.Optional(Name()),
  resource: Type.Union([NonEmpty(), InlineResource], {
    description: '`type/id` of a resource of the suite, or a resource given inline.',
    ...note({ what: '`resource`', expected: 'a `type/id` string or an object' })
  }),
  expect: Type.Optional(Type.Enum(['allow', 'deny'], note({ message: 'invalid expectation {value}: expected `allow` or `deny`' }))),
  // A reason is checked against the engine's catalogue by the loader (`unknown_reason`).
  reason: Type.Optional(Type.String({ ...note({ documented: { enum: EXPECTABLE_REASONS } }) })),
  fields: Type.Optional(Fields),
  allow: Type.Optional(ActionList('`allow`', 'Actions expected to be allowed (table row).')),
  deny: Type.Optional(ActionList('`deny`', 'Actions expected to be denied (table row).')),
  action_properties: Type.Optional(Type.Unsafe<Record<string, unknown>>({ type: 'object', description: 'AuthZEN `action.properties`: what conditions read as `action.<property>`.' })),
  context: Type.Optional(Type.Unsafe<Record<string, unknown>>({ type: 'object', description: 'AuthZEN `context`: what conditions read as `context.<key>`.' })),
  subject_properties: Type.Optional(Delegated<Record<string, unknown>>('`subject_properties`', {
    description: 'AuthZEN `subject.properties`: declared subject attributes replacing the stored ones for this case.',
    additionalProperties: AttributeValue
  }))
}, { additionalProperties: false, ...note({ what: '`cases[{-1}]`', ...listKeys, documented: { allOf: CASE_RULES } }) })

const Suite = Type.Object({
  $schema: Type.Optional(Type.String()),
  name: Type.Optional(Type.String()),
  description: Type.Optional(Type.String()),
  // Required unless the suite runs against a given policy: the loader says so.
  bundle: Type.Optional(Type.Union([
    NonEmpty(),
    Delegated<Record<string, unknown>>('`bundle`', bundleJsonSchema)
  ], {
    description: 'The policy bundle, inline, or the path of a YAML or JSON bundle file relative to the suite file.',
    ...note({ expected: 'a path or a bundle object' })
  })),
  subjects: Type.Optional(Type.Unsafe<Record<string, Record<string, unknown>>>({
    type: 'object',
    description: 'Subject id to subject.',
    propertyNames: Type.String({ minLength: 1, ...note({ message: 'a subject id must not be empty' }) }),
    additionalProperties: Delegated<Record<string, unknown>>('subject `{-1}`', SubjectDoc)
  })),
  resources: Type.Optional(Type.Array(StoredResource, { description: 'Stored resources.' })),
  // At least one case: the loader says `no_cases`.
  cases: Type.Array(Case, note({ documented: { minItems: 1 } }))
}, { title: 'gatehouse policy test suite', additionalProperties: false, ...note({ what: 'the suite', ...listKeys }) })

/** The suite's validator (structure only), compiled once; messages call a list a list, as YAML authors do. */
export const suiteFormat = defineFormat(Suite, { jsonType })

/** JSON Schema (draft-07) of a gatehouse policy test suite (docs/policy-tests.md). */
export const suiteJsonSchema: Record<string, unknown> = { $schema: 'http://json-schema.org/draft-07/schema#', ...documentedSchema(Suite) }

/** A suite document as written, once its structure is checked. */
export type SuiteDocument = Static<typeof Suite>
/** One case as written. */
export type CaseDocument = Static<typeof Case>
/** A stored resource of the suite as written. */
export type ResourceDocument = Static<typeof StoredResource>
/** The fields a case expects. */
export type FieldsDocument = Static<typeof Fields>

/** The keys of a suite, in the order the definition gives them (a subjects document of the policy diff accepts them). */
export const SUITE_KEYS = Object.keys(Suite.properties) as ReadonlyArray<keyof SuiteDocument>
/** The keys of `fields`, in the order the definition gives them. */
export const FIELDS_KEYS = Object.keys(Fields.properties) as Array<keyof FieldsDocument>
