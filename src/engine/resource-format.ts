/**
 * The part of a resource document whose shape does not depend on the policy, defined
 * once: its ACL (DESIGN.md §2, "ACLs"). From this TypeBox definition come the `AclEntry`
 * type (`model.ts` re-exports it), its structural validation (`aclFormat`, through
 * format-check.ts) and its documented JSON Schema (`aclJsonSchema`). The other properties
 * of a resource are its module's relations and attributes, whose names and types the
 * policy declares: resource.ts reads them, and checks what an ACL names (roles, actions,
 * its condition) against the policy.
 */
import Type from 'typebox'
import type { Static } from 'typebox'
import { note } from './bundle-format.js'
import { defineFormat, documentedSchema } from './format-check.js'

const Actions = (description: string) => Type.Array(Type.String(), { uniqueItems: true, description })

const AclEntrySchema = Type.Object({
  who: Type.String({
    pattern: '^(?!(?:group|role):$).+$',
    description: 'A user id or alias, `group:<id>`, `role:<role>` (a role of the bundle) or `*`.',
    ...note({ message: '`who` must be a user id or alias, `group:<id>`, `role:<role>` or `*`' })
  }),
  allow: Type.Optional(Actions('Actions of the module the entry allows.')),
  deny: Type.Optional(Actions('Actions of the module the entry denies.')),
  when: Type.Optional(Type.String({
    description: 'A CEL condition on the subject, the action\'s properties and the context (never the resource\'s attributes): the entry matches only where it holds.',
    ...note({ what: 'the condition of an ACL entry' })
  }))
}, { additionalProperties: false, ...note({ what: 'an ACL entry' }) })

const AclSchema = Type.Array(AclEntrySchema, { description: 'The resource\'s ACL entries; an empty one denies everything ACLs decide.', ...note({ what: '`acl`' }) })

/** A resource's `acl` validator (structure only), compiled once. */
export const aclFormat = defineFormat(AclSchema)

/** JSON Schema of a resource's `acl`, self-contained. */
export const aclJsonSchema: Readonly<Record<string, unknown>> = documentedSchema(AclSchema)

/** One ACL entry; `who` is a user id or alias, `group:<id>`, `role:<id>` or `*`. */
export type AclEntry = Static<typeof AclEntrySchema>
