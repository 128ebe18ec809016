/**
 * The policy bundle (DESIGN.md §2), defined once. From this TypeBox definition come the
 * bundle's TypeScript types (`model.ts` re-exports them), its structural validation (types,
 * unknown keys, names, enums, duplicates: `bundleFormat`, through format-check.ts) and
 * its documented JSON Schema (`bundleJsonSchema`: OpenAPI, editors, the suite schema).
 * What a schema cannot say, the cross-references (an undeclared role, module, action,
 * relation, field or flag, `assigned` on nothing) and the conditions, bundle-check.ts says.
 *
 * Each node's `issue` note says how messages name it (format-check.ts, `IssueNote`); the
 * `default` of an optional property is both documentation and what normalization drops.
 */
import Type from 'typebox'
import type { Static, TSchema } from 'typebox'
import type { IssueNote } from './format-check.js'
import { defineFormat, documentedSchema } from './format-check.js'
import { BUNDLE_NAME_PATTERN } from './names.js'

/** Permission levels, weakest first: an action needing `management` is granted by `management` and `full`. */
export const LEVELS = ['limited', 'management', 'full'] as const
/** A field's modes, most restrictive first. */
export const FIELD_MODES = ['hidden', 'read', 'edit'] as const

/** A node's issue wording (format-check.ts). */
export const note = (issue: IssueNote): { issue: IssueNote } => ({ issue })

/** A name of `kind` (flag, module, action, relation, field, role). */
const Name = (kind: string, description?: string) => Type.String({
  pattern: BUNDLE_NAME_PATTERN,
  ...(description === undefined ? {} : { description }),
  ...note({ code: 'invalid_name', message: `invalid ${kind} name {value}: use letters, digits and \`_ . : - / { }\`, and not \`__proto__\`` })
})
/** A list of distinct names of `kind`; an empty one is what absence means, so normalization drops it. */
const NameList = (kind: string, description: string) => Type.Array(Name(kind), { uniqueItems: true, default: [], description })

/** An object keyed by names of `kind`, each value of `entry`. */
function NameMap<T extends TSchema> (kind: string, entry: T, options: { description?: string, default?: Record<string, never> } = {}) {
  return Type.Unsafe<Record<string, Static<T>>>({
    type: 'object',
    ...options,
    propertyNames: Name(kind),
    additionalProperties: entry
  })
}

const Description = Type.String({ description: 'Free text for people reading the policy.' })

const levelMessage = 'invalid level {value} in {owner}: expected `limited`, `management` or `full`'
/** A level; the subject document's overrides use it too. */
export const LevelSchema = (description: string) => Type.Enum(LEVELS, { description, ...note({ code: 'invalid_level', message: levelMessage }) })

const ACCESS_DESCRIPTION = 'Which resources a grant reaches: `none`, `assigned` (the module\'s `assigned` relations), `all`, or a list of relations.'
/** An access; the subject document's overrides use it too. */
export const AccessSchema = (options: { description?: string, default?: 'none' } = {}) => Type.Union([
  Type.Enum(['none', 'assigned', 'all']),
  Type.Array(Name('relation'), { uniqueItems: true })
], {
  description: options.description ?? ACCESS_DESCRIPTION,
  ...(options.default === undefined ? {} : { default: options.default }),
  ...note({ code: 'invalid_access', message: 'invalid access {value} in {owner}: expected `none`, `assigned`, `all` or a list of relations' })
})

const CONDITION_DESCRIPTION = 'A CEL condition (DESIGN.md §2, "Attributes and conditions"): `resource.<attribute|relation|id>`, `subject.<attribute|id|roles>`, `action.<property>`, `context.<key>`; comparisons, `in`, `&&`, `||`, `!`, `has()`, `timestamp()`. Checked at import; a missing value makes it false.'
const Condition = (description = CONDITION_DESCRIPTION) => Type.String({ description })

/** Attribute names are CEL identifiers (so that `resource.<name>` reads them), not CEL's reserved words nor `__proto__`. */
const CEL_RESERVED = ['true', 'false', 'null', 'in', 'as', 'break', 'const', 'continue', 'else', 'for', 'function', 'if', 'import', 'let', 'loop', 'package', 'namespace', 'return', 'var', '__proto__']
const AttributeName = Type.String({
  pattern: `^(?!(?:${CEL_RESERVED.join('|')})$)[A-Za-z_][A-Za-z0-9_]*$`,
  ...note({ code: 'invalid_name', message: 'invalid attribute name {value} in {owner}: use letters, digits and `_`, not starting with a digit, and no CEL reserved word' })
})
const AttributeSchema = Type.Union([
  Type.Enum(['string', 'number', 'boolean', 'timestamp']),
  Type.Unsafe<['string']>({ type: 'array', items: Type.Enum(['string']), minItems: 1, maxItems: 1 }),
  Type.Object({
    enum: Type.Array(Type.String(), {
      minItems: 1, uniqueItems: true, ...note({ code: 'invalid_attribute_type', message: 'the values of the enum of attribute `{-2}` must be a non-empty list of distinct strings' })
    })
  }, { additionalProperties: false })
], {
  description: 'An attribute type: `string`, `number`, `boolean`, `timestamp` (RFC 3339), `[string]` or `{ enum: [...] }`.',
  ...note({
    what: 'attribute `{-1}`',
    code: 'invalid_attribute_type',
    descend: 'object',
    message: 'invalid type {value} of attribute `{-1}`: expected `string`, `number`, `boolean`, `timestamp`, `[string]` or `{ enum: [...] }`'
  })
})
const Attributes = (description: string) => Type.Unsafe<Record<string, Static<typeof AttributeSchema>>>({
  type: 'object', description, default: {}, propertyNames: AttributeName, additionalProperties: AttributeSchema
})

const ActionSchema = Type.Object({
  description: Type.Optional(Description),
  level: LevelSchema('The level a grant needs to grant the action: `limited` < `management` < `full`.'),
  flags: Type.Optional(NameList('flag', 'Flags the subject must hold for the action.')),
  when: Type.Optional(Condition(`Must hold for anyone to do the action, the owner included (a rule about the resource's state). ${CONDITION_DESCRIPTION}`))
}, { additionalProperties: false, ...note({ what: 'action `{-1}` of module `{-3}`' }) })

const FieldSchema = Type.Object({
  description: Type.Optional(Description),
  flags: Type.Optional(NameList('flag', 'Flags the subject must hold to see the field.'))
}, { additionalProperties: false, ...note({ what: 'field `{-1}` of module `{-3}`' }) })

const ModuleSchema = Type.Object({
  description: Type.Optional(Description),
  relations: Type.Optional(NameList('relation', 'Resource properties that name users or groups (`group:<id>`).')),
  assigned: Type.Optional(Type.Array(Name('relation'), { uniqueItems: true, description: 'The relations that access `assigned` means; default: every relation.' })),
  attributes: Type.Optional(Attributes('Typed properties of the resources that conditions read; not named like a relation, `project`, `parent`, `acl` or `id`.')),
  actions: NameMap('action', ActionSchema),
  fields: Type.Optional(NameMap('field', FieldSchema, { default: {} }))
}, { additionalProperties: false, ...note({ what: 'module `{-1}`' }) })

const GrantSchema = Type.Object({
  admin: Type.Optional(Type.Boolean({ default: false, description: 'Every action on every resource of the module, ignoring levels, flags and ACLs.' })),
  access: Type.Optional(AccessSchema({ default: 'none', description: `${ACCESS_DESCRIPTION} Default \`none\`, except that an \`admin\` grant needs none.` })),
  level: Type.Optional(LevelSchema('Actions whose level is within this one are granted; absent: only `allow` actions are.')),
  allow: Type.Optional(NameList('action', 'Actions granted whatever their level.')),
  deny: Type.Optional(NameList('action', 'Actions never granted by this grant.')),
  scope: Type.Optional(NameMap('action', AccessSchema(), { default: {}, description: 'Per-action access that replaces `access` for that action.' })),
  fields: Type.Optional(NameMap('field', Type.Enum(FIELD_MODES, note({ code: 'invalid_field_mode', message: 'invalid mode {value} for field `{-1}` in {owner}: expected `hidden`, `read` or `edit`' })), {
    default: {}, description: 'Per-field mode; default `edit` at level `management` or `full`, else `read`.'
  })),
  when: Type.Optional(NameMap('action', Condition(), { default: {}, description: 'Per action, a CEL condition: the grant grants that action only where it holds.' }))
}, { additionalProperties: false, ...note({ what: 'the grant of role `{-3}` on module `{-1}`' }) })

const RoleSchema = Type.Object({
  description: Type.Optional(Description),
  protected: Type.Optional(Type.Boolean({ default: false, description: 'Only holders of a protected role may change holders of one.' })),
  fixed: Type.Optional(Type.Boolean({ default: false, description: 'Only a whole-bundle import may change the role: the role routes refuse to edit it, and module or flag edits that would change what it grants.' })),
  all: Type.Optional(Type.Boolean({ default: false, description: 'Every action of every module.' })),
  flags: Type.Optional(NameList('flag', 'Flags the role gives its holders.')),
  modules: Type.Optional(NameMap('module', GrantSchema, { default: {} }))
}, { additionalProperties: false, ...note({ what: 'role `{-1}`' }) })

const ActionList = (description: string) => Type.Array(Name('action'), {
  minItems: 1, uniqueItems: true, description, ...note({ message: '{label} must name at least one action' })
})
const userAdminRule = {
  module: Name('module', 'The module whose actions govern user administration.'),
  create: ActionList('Creating a subject needs one of these actions.'),
  edit: ActionList('Changing a subject (its overrides included) needs one of these actions.'),
  delete: ActionList('Deleting a subject needs one of these actions.'),
  roles_attribute: Type.Optional(Type.String({ description: 'A `[string]` attribute of the module that the check fills with the target\'s roles (tenant-wide and per project), for conditions to read.' }))
}
const UserAdminRuleSchema = Type.Object(userAdminRule, { additionalProperties: false, ...note({ what: 'the rule of role `{-1}` in `user_admin`' }) })
const UserAdminSchema = Type.Object({
  ...userAdminRule,
  by_role: Type.Optional(NameMap('role', UserAdminRuleSchema, {
    default: {},
    description: 'Per role: the rule of the subjects holding it (tenant-wide or in a project); the subject\'s other roles, or none, fall under the top-level rule.'
  }))
}, {
  additionalProperties: false,
  description: 'Which module and actions an acting user (`Gatehouse-Actor`) needs to change subjects. Absent: module `users`, actions `create`, `edit`, `delete`.',
  ...note({ what: '`user_admin`' })
})

const BundleSchema = Type.Object({
  version: Type.Enum([1], note({ code: 'unsupported_version', message: 'unsupported bundle version {value}; expected `1`' })),
  flags: Type.Optional(NameMap('flag', Type.String(note({ what: 'the description of flag `{-1}`' })), { default: {}, description: 'Flag name to its description.' })),
  subject_attributes: Type.Optional(Attributes(
    'Typed subject attributes that conditions read (`subject.<name>`): stored under `attributes`, or given per request in `subject.properties`; not `id` or `roles`.'
  )),
  modules: NameMap('module', ModuleSchema),
  roles: NameMap('role', RoleSchema),
  user_admin: Type.Optional(UserAdminSchema)
}, { title: 'gatehouse policy bundle', additionalProperties: false, ...note({ what: 'the bundle' }) })

/** The bundle's validator (structure only), compiled once. */
export const bundleFormat = defineFormat(BundleSchema)
/** An attribute declaration's: a malformed one declares nothing that conditions could read. */
export const attributeDefFormat = defineFormat(AttributeSchema)

/** JSON Schema of a gatehouse policy bundle (DESIGN.md §2), self-contained (no `$ref`) so that it can be embedded anywhere. */
export const bundleJsonSchema: Readonly<Record<string, unknown>> = documentedSchema(BundleSchema)

/** A policy bundle as written (DESIGN.md §2); `checkBundle` gives it normalized. */
export type Bundle = Static<typeof BundleSchema>
/** A module: its relations, attributes, actions and fields. */
export type ModuleDef = Static<typeof ModuleSchema>
/** An action: the level it needs, the flags it needs, its `when`. */
export type ActionDef = Static<typeof ActionSchema>
/** A field of a module's resources, and the flags needed to see it. */
export type FieldDef = Static<typeof FieldSchema>
/** A role: its flags and its grants per module. */
export type RoleDef = Static<typeof RoleSchema>
/** A role's permissions on one module. */
export type Grant = Static<typeof GrantSchema>
/** A permission level (`LEVELS`, weakest first). */
export type Level = typeof LEVELS[number]
/** What a grant lets a subject do with a field. */
export type FieldMode = typeof FIELD_MODES[number]
/** Which resources of a module a grant reaches: none, those assigned to the subject, all of them, or those where the subject is in one of the listed relations. */
export type Access = Static<ReturnType<typeof AccessSchema>>
/** A declared attribute's type, as a bundle writes it. */
export type AttributeDef = Static<typeof AttributeSchema>
/** Which module, and which of its actions, an acting user needs to create, change or delete a subject (each list: any one of its actions). */
export type UserAdminRule = Static<typeof UserAdminRuleSchema>
/** The top-level `user_admin`: a rule, and per role (`by_role`) the rule of the subjects holding it. */
export type UserAdmin = Static<typeof UserAdminSchema>
