// Small pure helpers shared by the pages.

export const clone = value => value === undefined ? undefined : JSON.parse(JSON.stringify(value))

/** JSON with object keys sorted: two values are the same definition when their texts are equal. */
export function stable (value) {
  return JSON.stringify(value, (key, v) => v !== null && typeof v === 'object' && !Array.isArray(v)
    ? Object.fromEntries(Object.keys(v).sort().map(k => [k, v[k]]))
    : v)
}

/** A comma-separated input as a list, blanks dropped. */
export const splitList = text => text.split(',').map(s => s.trim()).filter(s => s !== '')

/**
 * A grant or a module override without its empty parts, in the bundle's order; `undefined`
 * when nothing is left (the module is then absent from the role or the overrides).
 * `keepNone`: keep `access: none` (an override's, which is not a default).
 */
export function cleanGrant (grant, { keepNone = false } = {}) {
  if (grant === undefined) return undefined
  const out = {}
  for (const key of ['access', 'level', 'allow', 'deny', 'scope', 'fields', 'admin']) {
    const value = grant[key]
    if (value === undefined || value === '' || value === false) continue
    if (Array.isArray(value) && value.length === 0 && key !== 'access') continue
    // In a role, `none` is the default; in an override it takes the role's access away.
    if (key === 'access' && value === 'none' && !keepNone) continue
    if (value !== null && typeof value === 'object' && !Array.isArray(value) && Object.keys(value).length === 0) continue
    out[key] = value
  }
  return Object.keys(out).length === 0 ? undefined : out
}

/**
 * Leaf paths of a JSON value (`/roles/0`, `/modules/jobs/level`) to their value; arrays of
 * scalars are one leaf, so that a changed list reads as one line.
 */
export function flatten (value, path = '', out = new Map()) {
  if (value !== null && typeof value === 'object') {
    const scalars = Array.isArray(value) && value.every(v => v === null || typeof v !== 'object')
    if (!scalars && Object.keys(value).length > 0) {
      for (const [key, child] of Object.entries(value)) flatten(child, `${path}/${key}`, out)
      return out
    }
  }
  out.set(path === '' ? '/' : path, value)
  return out
}

/** The changed leaves between two JSON values: `{ path, before, after }`, in path order. */
export function jsonChanges (before, after) {
  const a = before === null || before === undefined ? new Map() : flatten(before)
  const b = after === null || after === undefined ? new Map() : flatten(after)
  const paths = [...new Set([...a.keys(), ...b.keys()])].sort()
  return paths
    .filter(p => stable(a.get(p)) !== stable(b.get(p)))
    .map(p => ({ path: p, before: a.get(p), after: b.get(p) }))
}

export const show = value => value === undefined ? '' : typeof value === 'string' ? value : JSON.stringify(value)
