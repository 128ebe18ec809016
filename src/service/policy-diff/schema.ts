/**
 * The JSON Schema of a policy impact report (`PolicyDiff`), for the HTTP route's response
 * schema (serialization and OpenAPI) and for machines that read `gatehouse diff --format
 * json`. Every object is closed (`additionalProperties: false`), as the report is.
 */

const names = { type: 'array', items: { type: 'string' } } as const

const roleScope = {
  description: 'Which resources a role\'s grant reaches for one action.',
  oneOf: [
    { type: 'object', additionalProperties: false, required: ['kind'], properties: { kind: { type: 'string', enum: ['none', 'all', 'admin', 'all-role'] } } },
    {
      type: 'object',
      additionalProperties: false,
      required: ['kind', 'relations'],
      properties: { kind: { type: 'string', enum: ['assigned', 'relations'] }, relations: names }
    }
  ]
} as const

const rolePermission = {
  description: 'A role\'s permission on one action: not granted, or granted with its scope and the flags it needs.',
  oneOf: [
    { type: 'object', additionalProperties: false, required: ['granted'], properties: { granted: { type: 'boolean', enum: [false] } } },
    {
      type: 'object',
      additionalProperties: false,
      required: ['granted', 'scope', 'flags', 'missingFlags'],
      properties: {
        granted: { type: 'boolean', enum: [true] },
        scope: roleScope,
        flags: names,
        missingFlags: names,
        when: { type: 'string', description: 'The grant\'s condition (CEL) for the action: it grants only where it holds.' }
      }
    }
  ]
} as const

const fieldMode = { type: 'string', enum: ['hidden', 'read', 'edit'] } as const

const actionRef = {
  type: 'object',
  additionalProperties: false,
  required: ['module', 'action'],
  properties: { module: { type: 'string' }, action: { type: 'string' } }
} as const

const fieldRef = {
  type: 'object',
  additionalProperties: false,
  required: ['module', 'field'],
  properties: { module: { type: 'string' }, field: { type: 'string' } }
} as const

const declaredNames = {
  type: 'object',
  additionalProperties: false,
  required: ['flags', 'modules', 'actions', 'fields', 'roles'],
  properties: { flags: names, modules: names, actions: { type: 'array', items: actionRef }, fields: { type: 'array', items: fieldRef }, roles: names }
} as const

const definition = (kind: string, keys: Record<string, unknown>, shape: Record<string, unknown>, optional: Record<string, unknown> = {}): Record<string, unknown> => {
  const side = { type: 'object', additionalProperties: false, required: Object.keys(shape), properties: { ...shape, ...optional } }
  return {
    type: 'object',
    additionalProperties: false,
    required: ['kind', ...Object.keys(keys), 'before', 'after'],
    properties: { kind: { type: 'string', enum: [kind] }, ...keys, before: side, after: side }
  }
}

const str = { type: 'string' } as const
const bool = { type: 'boolean' } as const
const condition = { type: 'string', description: 'A condition in CEL, as the bundle wrote it; absent without one.' } as const

const definitionChange = {
  oneOf: [
    definition('action', { module: str, action: str }, { level: { type: 'string', enum: ['limited', 'management', 'full'] }, flags: names }, { when: condition }),
    definition('field', { module: str, field: str }, { flags: names }),
    definition('module', { module: str }, { relations: names, assigned: names }),
    definition('role', { role: str }, { all: bool, protected: bool, flags: names })
  ]
}

const subjectReach = {
  description: 'Which resources a subject may do the action on (no ACL): all, those where it appears in one of the relations, or none; with `when`, only those where the condition holds.',
  oneOf: [
    { type: 'object', additionalProperties: false, required: ['allowed'], properties: { allowed: { type: 'boolean', enum: [false] } } },
    {
      type: 'object',
      additionalProperties: false,
      required: ['allowed', 'scope', 'custom'],
      properties: {
        allowed: { type: 'boolean', enum: [true] },
        scope: {
          oneOf: [
            { type: 'object', additionalProperties: false, required: ['kind'], properties: { kind: { type: 'string', enum: ['all'] } } },
            { type: 'object', additionalProperties: false, required: ['kind', 'relations'], properties: { kind: { type: 'string', enum: ['relations'] }, relations: names } }
          ]
        },
        custom: { type: 'boolean', description: 'A per-user override grants it or widens it.' },
        when: {
          type: 'string',
          description: 'Only the resources in scope where this condition (CEL) holds: the conditions of the action, the grants and the override, as written.'
        }
      }
    }
  ]
} as const

const subjectChange = {
  type: 'object',
  additionalProperties: false,
  required: ['module', 'action', 'change', 'before', 'after'],
  properties: {
    module: str,
    action: str,
    change: { type: 'string', enum: ['gained', 'lost', 'changed', 'unchanged'] },
    before: subjectReach,
    after: subjectReach
  }
} as const

const count = { type: 'integer', minimum: 0 } as const

/** The JSON Schema of `PolicyDiff` (draft 2020-12 and draft-07 compatible keywords only). */
export const policyDiffJsonSchema = {
  $id: 'PolicyDiff',
  title: 'PolicyDiff',
  description: 'The impact of replacing one policy bundle by another (docs/policy-diff.md).',
  type: 'object',
  additionalProperties: false,
  required: ['changed', 'summary', 'added', 'removed', 'definitions', 'permissions', 'fields'],
  properties: {
    changed: { type: 'boolean', description: 'Whether any list of the report is not empty.' },
    summary: {
      type: 'object',
      additionalProperties: false,
      required: ['permissions', 'fields', 'declarations'],
      properties: {
        permissions: {
          type: 'object',
          additionalProperties: false,
          required: ['gained', 'lost', 'changed'],
          properties: { gained: count, lost: count, changed: count }
        },
        fields: count,
        declarations: count,
        subjects: { type: 'object', additionalProperties: false, required: ['checked', 'affected'], properties: { checked: count, affected: count } }
      }
    },
    added: declaredNames,
    removed: declaredNames,
    definitions: { type: 'array', items: definitionChange },
    permissions: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['role', 'module', 'action', 'change', 'before', 'after'],
        properties: {
          role: str,
          module: str,
          action: str,
          change: { type: 'string', enum: ['gained', 'lost', 'changed'] },
          before: rolePermission,
          after: rolePermission
        }
      }
    },
    fields: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['role', 'module', 'field', 'before', 'after'],
        properties: { role: str, module: str, field: str, before: fieldMode, after: fieldMode }
      }
    },
    subjects: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['subject', 'changes', 'projects'],
        properties: {
          subject: str,
          changes: { type: 'array', items: subjectChange },
          projects: {
            type: 'array',
            items: {
              type: 'object',
              additionalProperties: false,
              required: ['project', 'changes'],
              properties: { project: str, changes: { type: 'array', items: subjectChange } }
            }
          }
        }
      }
    }
  }
} as const
