/**
 * Small hand-written shape checks of the subject and resource documents (the bundle's
 * structure is its format's: bundle-format.ts), and `eachName`, how the bundle's
 * cross-reference checks read a list as written.
 * Each reports into an `IssueSink` and returns the value when it has the right shape,
 * else `undefined`; callers keep walking so that every issue is found.
 */
import { child, IssueSink, jsonType } from './issues.js'
import { isRecord } from './own.js'

/** `value` as an object, else an `invalid_type` issue. `what` names it: "module `jobs`". */
export function expectObject (sink: IssueSink, value: unknown, path: string, what: string): Record<string, unknown> | undefined {
  if (isRecord(value)) return value
  sink.add(path, 'invalid_type', `${what} must be an object, not ${jsonType(value)}`)
  return undefined
}

/** Reports an `unknown_property` issue for every key of `object` outside `allowed`. */
export function rejectUnknownKeys (sink: IssueSink, object: Record<string, unknown>, allowed: readonly string[], path: string, what: string): void {
  for (const key of Object.keys(object)) {
    if (!allowed.includes(key)) sink.add(child(path, key), 'unknown_property', `unknown property \`${key}\` in ${what}`)
  }
}

/** `value` as a boolean, else an `invalid_type` issue; `undefined` stays silent (optional property). */
export function optionalBoolean (sink: IssueSink, value: unknown, path: string, what: string): boolean | undefined {
  if (value === undefined || typeof value === 'boolean') return value
  sink.add(path, 'invalid_type', `${what} must be a boolean, not ${jsonType(value)}`)
  return undefined
}

/**
 * `value` as a list of distinct strings. Non-lists, non-string entries and repeated
 * entries are issues; `onEntry` checks each first occurrence of a string (is it declared?).
 */
export function stringList (
  sink: IssueSink, value: unknown, path: string, what: string,
  onEntry: (entry: string, path: string) => void
): string[] | undefined {
  if (!Array.isArray(value)) {
    sink.add(path, 'invalid_type', `${what} must be a list, not ${jsonType(value)}`)
    return undefined
  }
  const seen = new Set<string>()
  value.forEach((entry: unknown, i) => {
    const at = child(path, i)
    if (typeof entry !== 'string') {
      sink.add(at, 'invalid_type', `entries of ${what} must be strings, not ${jsonType(entry)}`)
    } else if (seen.has(entry)) {
      sink.add(at, 'duplicate_entry', `duplicate entry \`${entry}\` in ${what}`)
    } else {
      seen.add(entry)
      onEntry(entry, at)
    }
  })
  return [...seen]
}

/**
 * Calls `each` on the first occurrence of every string of `value` (a list as written):
 * entries of another type and repeated ones are the structure's issues, reported there.
 */
export function eachName (value: unknown, path: string, each: (name: string, path: string) => void): void {
  const seen = new Set<string>()
  if (!Array.isArray(value)) return
  value.forEach((entry: unknown, i) => {
    if (typeof entry !== 'string' || seen.has(entry)) return
    seen.add(entry)
    each(entry, child(path, i))
  })
}
