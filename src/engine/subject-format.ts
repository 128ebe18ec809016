/**
 * The subject document (DESIGN.md §2: a user as stored), defined once. From this TypeBox
 * definition come the `Subject` type (`model.ts` re-exports it), its structural validation
 * (types, unknown keys, repeated and empty entries, enums: `subjectFormat`, through
 * format-check.ts) and its documented JSON Schema (`subjectJsonSchema`). What a schema
 * cannot say, the checks against the policy (an undeclared role, flag, module, action or
 * relation; an attribute the bundle does not declare or a value of the wrong type),
 * subject.ts says.
 */
import Type from 'typebox'
import type { Static, TSchema } from 'typebox'
import { AccessSchema, LevelSchema, note } from './bundle-format.js'
import { defineFormat, documentedSchema } from './format-check.js'

/** An attribute's value: timestamps are kept as their RFC 3339 string. */
export type AttributeValue = string | number | boolean | readonly string[]

/** How JSON carries an attribute's value: a string (a `timestamp` is RFC 3339 text; an enum value), a number, a boolean or a list of strings. */
export const ATTRIBUTE_VALUE: Readonly<Record<string, unknown>> = {
  anyOf: [{ type: 'string' }, { type: 'number' }, { type: 'boolean' }, { type: 'array', items: { type: 'string' } }]
}

/** A list of distinct non-empty strings, `kind` naming an entry ("an empty string is not a valid alias"). */
const Strings = (kind: string, description: string) => Type.Array(
  Type.String({ minLength: 1, ...note({ message: `an empty string is not a valid ${kind}` }) }),
  { uniqueItems: true, description }
)

/** An object keyed by free strings (ids, names the policy checks), each value of `entry`. */
const StringMap = <T extends TSchema>(entry: T, description?: string) => Type.Unsafe<Record<string, Static<T>>>({
  type: 'object', ...(description === undefined ? {} : { description }), additionalProperties: entry
})

const ModuleOverrideSchema = Type.Object({
  access: Type.Optional(AccessSchema()),
  level: Type.Optional(LevelSchema('Replaces the level of the subject\'s grants on the module.')),
  allow: Type.Optional(Type.Array(Type.String(), { uniqueItems: true, description: 'Actions granted whatever their level.' })),
  deny: Type.Optional(Type.Array(Type.String(), { uniqueItems: true, description: 'Actions never granted.' })),
  when: Type.Optional(StringMap(Type.String(note({ what: 'the condition of `{-1}` in the override on module `{-3}`' })), 'Per action, a CEL condition restricting what the override itself grants (its `allow` and its access or level) to where it holds.'))
}, { additionalProperties: false, description: 'A per-user change on one module, on top of the role grants.', ...note({ what: 'the override on module `{-1}`' }) })

const OverridesSchema = Type.Object({
  flags: Type.Optional(StringMap(Type.Boolean(note({ what: 'the override of flag `{-1}`' })), '`true` sets a flag, `false` clears it, after the union over the roles.')),
  modules: Type.Optional(StringMap(ModuleOverrideSchema))
}, { additionalProperties: false, description: 'Per-user changes on top of the roles.', ...note({ what: 'the overrides' }) })

const SubjectSchema = Type.Object({
  id: Type.String({ minLength: 1, ...note({ what: 'the subject id', code: 'invalid_type', message: 'the subject id must be a non-empty string' }) }),
  roles: Type.Array(Type.String(), { uniqueItems: true, description: 'Tenant-wide roles.', ...note({ what: 'the subject roles' }) }),
  aliases: Type.Optional(Strings('alias', 'Other names of the same person (an identity provider\'s opaque id, an e-mail); unique in the tenant.')),
  projects: Type.Optional(StringMap(Type.Array(Type.String(), { uniqueItems: true, ...note({ what: 'the roles in project `{-1}`' }) }), 'Project id to the roles held in that project.')),
  groups: Type.Optional(Strings('group', 'The groups the subject is in (`group:<id>` in relations and ACLs).')),
  status: Type.Optional(Type.Enum(['active', 'inactive'], {
    description: 'Default `active`.', ...note({ message: 'invalid status {value}: expected `active` or `inactive`' })
  })),
  login: Type.Optional(Type.Boolean({ description: '`false`: assignable, but never allowed anything; default `true`.' })),
  owner: Type.Optional(Type.Boolean({ description: 'The account owner: allowed everything.' })),
  overrides: Type.Optional(OverridesSchema),
  // Values are checked against the types the bundle's `subject_attributes` declares (subject.ts): documented only.
  attributes: Type.Optional(Type.Unsafe<Record<string, AttributeValue>>({
    type: 'object',
    description: 'Values of the bundle\'s `subject_attributes`, each of its declared type; an AuthZEN request\'s `subject.properties` replaces them for that request.',
    ...note({ documented: { additionalProperties: ATTRIBUTE_VALUE } })
  }))
}, { title: 'gatehouse subject', additionalProperties: false, ...note({ what: 'the subject' }) })

/**
 * The subject document's validator (structure only), compiled once. It checks without
 * copying (`normalize: false`): subjects are stored as written, and checked on every
 * directory write.
 */
export const subjectFormat = defineFormat(SubjectSchema, { normalize: false })

/** JSON Schema of a subject document, self-contained. */
export const subjectJsonSchema: Readonly<Record<string, unknown>> = documentedSchema(SubjectSchema)

/** A user as stored (DESIGN.md §2). */
export type Subject = Static<typeof SubjectSchema>
/** Per-user changes on top of the role grants. */
export type Overrides = Static<typeof OverridesSchema>
/** A per-user change on one module, on top of the role grants. */
export type ModuleOverride = Static<typeof ModuleOverrideSchema>
/** `active` (the default) or `inactive`. */
export type SubjectStatus = NonNullable<Subject['status']>

/** AuthZEN `subject.properties` as a decision reads them: an object whose declared subject attributes are checked against their types (subject.ts). */
export const subjectPropertiesFormat = defineFormat(Type.Unsafe<Record<string, unknown>>({ type: 'object', ...note({ what: 'the subject properties' }) }))
