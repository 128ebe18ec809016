/**
 * Bodies of the policy tools (issue 5): test runs, impact reports and templates. The
 * suite and the draft bundle are validated by the service (every problem at once, with
 * JSON pointers and, for YAML, lines), never by ajv; the schemas below describe them for
 * the OpenAPI document and serialize the responses.
 */
import { policyDiffJsonSchema, REASON_CODES, suiteJsonSchema } from '../../service/index.js'

const stringList = { type: 'array', items: { type: 'string' } } as const
const decisionSchema = { type: 'string', enum: ['allow', 'deny'] } as const

const fieldsSchema = {
  type: 'object',
  required: ['visible', 'editable'],
  additionalProperties: false,
  properties: { visible: stringList, editable: stringList }
} as const

const reasonSchema = {
  type: 'object',
  required: ['code', 'message'],
  additionalProperties: false,
  properties: {
    code: { type: 'string', enum: Object.keys(REASON_CODES) },
    message: { type: 'string' }
  }
} as const

const caseSchema = {
  type: 'object',
  required: ['name', 'path', 'subject', 'action', 'resource', 'expected', 'actual', 'ok', 'mismatches'],
  additionalProperties: false,
  properties: {
    name: { type: 'string' },
    path: { type: 'string', description: 'JSON pointer to the case (or to the action of a table row) in the suite' },
    line: { type: 'integer', description: 'where the case is written, when the suite was sent as YAML' },
    column: { type: 'integer' },
    says: { ...stringList, description: 'the sentences of the specification the case proves' },
    subject: { type: 'string', description: 'as the case names it: an id, an alias, or `role:<name>`' },
    action: { type: 'string' },
    resource: {
      type: 'object',
      required: ['type', 'id'],
      additionalProperties: false,
      properties: { type: { type: 'string' }, id: { type: 'string', description: '`(inline)` for a resource sent without id' } }
    },
    expected: {
      type: 'object',
      required: ['decision'],
      additionalProperties: false,
      properties: {
        decision: decisionSchema,
        reason: { type: 'string', enum: Object.keys(REASON_CODES) },
        fields: { type: 'object', additionalProperties: false, properties: { visible: stringList, editable: stringList } }
      }
    },
    actual: {
      type: 'object',
      required: ['decision', 'reason'],
      additionalProperties: false,
      properties: { decision: decisionSchema, reason: reasonSchema }
    },
    fields: { ...fieldsSchema, description: 'the fields of the actual decision, when it is an allow on a module with fields' },
    ok: { type: 'boolean', description: 'the decision, and the reason and fields when expected, are as expected' },
    mismatches: { ...stringList, description: 'why the case failed, one line each; empty when it passed' }
  }
} as const

export const policyTestReportSchema = {
  type: 'object',
  required: ['revision', 'policy', 'data', 'total', 'passed', 'failed', 'cases'],
  additionalProperties: false,
  properties: {
    name: { type: 'string', description: 'the suite\'s `name`' },
    revision: { type: 'integer', description: 'the tenant revision the suite ran at (nothing is written)' },
    policy: { type: 'string', enum: ['live', 'draft'], description: '`live`: the tenant\'s policy; `draft`: the suite\'s own inline `bundle`' },
    data: {
      type: 'string',
      enum: ['suite', 'stored'],
      description: '`suite`: the suite\'s own `subjects` and `resources`; `stored`: the tenant\'s (a suite that declares neither)'
    },
    total: { type: 'integer' },
    passed: { type: 'integer' },
    failed: { type: 'integer' },
    cases: { type: 'array', items: caseSchema, description: 'in the suite\'s order, table rows expanded' }
  }
} as const

/**
 * The suite as the OpenAPI document shows it (component `PolicyTestSuite`): the published
 * suite schema, with the bundle as the shared `Bundle` component (only inline here: no
 * files are read). Documentation only: the service validates suites.
 */
export const suiteDocSchema = (() => {
  const { $schema: _schema, ...rest } = suiteJsonSchema as unknown as { $schema: string, properties: Record<string, unknown> } & Record<string, unknown>
  return {
    ...rest,
    $id: 'PolicyTestSuite',
    description: 'A policy test suite (docs/policy-tests.md). Without `bundle` it runs against the tenant\'s policy; with an inline `bundle`, ' +
      'against that draft. Without `subjects` and `resources`, its cases name the tenant\'s stored subjects and resources.',
    properties: {
      ...rest.properties,
      bundle: { $ref: 'Bundle#', description: 'a draft bundle, inline (a path is refused: no files are read)' }
    }
  }
})()

export const templateNameSchema = {
  type: 'string',
  pattern: '^[a-z0-9][a-z0-9-]{0,62}$',
  description: 'a template shipped with gatehouse (`GET /v1/templates` lists them)'
} as const

export const templateSummarySchema = {
  type: 'object',
  required: ['name', 'description', 'roles', 'modules'],
  additionalProperties: false,
  properties: {
    name: { type: 'string' },
    description: { type: 'string' },
    roles: { ...stringList, description: 'the roles of the bundle, in its order' },
    modules: { ...stringList, description: 'the modules of the bundle, in its order' }
  }
} as const

export const templateListSchema = {
  type: 'array',
  items: templateSummarySchema
} as const

/** The impact report (component `PolicyDiff`), as `gatehouse diff --format json` writes it; serializes the response. */
export const policyDiffSchema = (() => {
  const { title: _title, ...rest } = policyDiffJsonSchema
  return rest
})()
