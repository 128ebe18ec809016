/**
 * How cross-reference checks (bundle-check.ts, user-admin.ts, subject.ts, resource.ts)
 * read a document: leniently, as written. Its structure is its format's (format-check.ts),
 * which reports what is malformed; a reference walk reads what is well formed and skips
 * the rest, so that nothing is reported twice.
 */
import { child } from './issues.js'
import { isRecord } from './own.js'

/**
 * Calls `each` on the first occurrence of every string of `value` (a list as written):
 * entries of another type and repeated ones are the structure's issues, reported there.
 */
export function eachName (value: unknown, path: string, each: (name: string, path: string) => void): void {
  if (!Array.isArray(value)) return
  // Lists of names are short: looking back costs less than a set per list (subjects are checked on every directory write).
  for (let i = 0; i < value.length; i++) {
    const entry: unknown = value[i]
    if (typeof entry === 'string' && value.indexOf(entry) === i) each(entry, child(path, i))
  }
}

/** The entries of `value` when it is an object, else none. */
export const entries = (value: unknown): Array<[string, unknown]> => isRecord(value) ? Object.entries(value) : []
