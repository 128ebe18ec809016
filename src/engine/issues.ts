/**
 * Input problems as data (STYLE.md §2.3, tier 2): every problem found in a bundle, a
 * subject or a resource document is an `Issue` naming the place (a JSON pointer), a
 * stable code and a one-line message. Validators report all issues, never the first only.
 */

/** The catalogue of issue codes. Codes are stable wire values: never rename one, add a new one. */
export const ISSUE_CODES = {
  invalid_type: 'a value has the wrong JSON type',
  missing_property: 'a required property is absent',
  unknown_property: 'a property is not part of the shape (a misspelt key is never ignored)',
  unsupported_version: 'the bundle version is not `1`',
  invalid_name: 'a name is empty, reserved or uses characters outside letters, digits and `_ . : - / { }`',
  invalid_level: 'a level is not `limited`, `management` or `full`',
  invalid_field_mode: 'a field mode is not `hidden`, `read` or `edit`',
  invalid_access: 'an access is not `none`, `assigned`, `all` or a list of relations',
  invalid_value: 'a value has the right type but an unusable content',
  unknown_flag: 'a flag is not declared in the bundle',
  unknown_module: 'a module is not declared in the bundle',
  unknown_action: 'an action is not declared in its module',
  unknown_relation: 'a relation is not declared in its module',
  unknown_field: 'a field is not declared in its module',
  unknown_role: 'a role is not declared in the bundle',
  duplicate_entry: 'a list names the same entry twice',
  assigned_without_relations: 'access `assigned` is used on a module whose `assigned` relations are empty',
  invalid_condition: 'a condition is not valid CEL, names something undeclared, mixes types, is outside the supported subset or cannot be planned',
  invalid_attribute_type: 'an attribute type is not `string`, `number`, `boolean`, `timestamp`, `[string]` or `{ enum: [...] }`'
} as const

export type IssueCode = keyof typeof ISSUE_CODES

/** One problem in an input document. */
export interface Issue {
  /** JSON pointer (RFC 6901) into the document, e.g. `/roles/manager/modules/jobs/deny/0`; `''` is the whole document. */
  path: string
  code: IssueCode
  /** One lowercase line without final period, user input in backticks. */
  message: string
}

/** The result of a validation: the validated value, or every issue found. */
export type Checked<T> = { ok: true, value: T } | { ok: false, issues: Issue[] }

/** Escapes one JSON pointer reference token (RFC 6901 §3). */
function escapeToken (token: string | number): string {
  return String(token).replaceAll('~', '~0').replaceAll('/', '~1')
}

/** `path` extended by one reference token: `child('/roles', 'a/b')` is `/roles/a~1b`. */
export function child (path: string, token: string | number): string {
  return `${path}/${escapeToken(token)}`
}

/** A JSON value shown in a message, in backticks and cut to a readable length; strings appear without quotes. */
export function show (value: unknown): string {
  const text = typeof value === 'string' ? value : String(JSON.stringify(value))
  return `\`${text.length > 60 ? `${text.slice(0, 57)}...` : text}\``
}

/** The JSON type of a value, as messages name it: `a string`, `an array`, `null`. */
export function jsonType (value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'an array'
  switch (typeof value) {
    case 'object': return 'an object'
    case 'string': return 'a string'
    case 'number': return 'a number'
    case 'boolean': return 'a boolean'
    default: return typeof value
  }
}

/** Collects issues while a validator walks a document. */
export class IssueSink {
  readonly issues: Issue[] = []

  /** Records one issue. */
  add (path: string, code: IssueCode, message: string): void {
    this.issues.push({ path, code, message })
  }
}
