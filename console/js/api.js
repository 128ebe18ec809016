// Calls to the public API with the key the user pasted. The key lives in sessionStorage
// (gone with the tab), goes only in the Authorization header, never in a URL.
const KEY = 'gatehouse.console.key'
const TENANT = 'gatehouse.console.tenant'

export const session = {
  get key () { return sessionStorage.getItem(KEY) ?? '' },
  get tenant () { return sessionStorage.getItem(TENANT) ?? '' },
  signIn (tenant, key) {
    sessionStorage.setItem(TENANT, tenant)
    sessionStorage.setItem(KEY, key)
  },
  signOut () {
    sessionStorage.removeItem(KEY)
    sessionStorage.removeItem(TENANT)
  }
}

/** A refusal of the API: its status, stable code, sentence and details (`ErrorResponse`). */
export class ApiError extends Error {
  constructor (status, body) {
    super(body?.message ?? `HTTP ${status}`)
    this.status = status
    this.code = body?.code ?? 'unknown'
    this.details = Array.isArray(body?.details) ? body.details : []
  }
}

/** `/v1/tenants/<tenant><rest>` for the signed-in tenant. */
export const tenantPath = rest => `/v1/tenants/${encodeURIComponent(session.tenant)}${rest}`

export const q = params => {
  const search = new URLSearchParams()
  for (const [name, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== '') search.set(name, String(value))
  }
  const text = search.toString()
  return text === '' ? '' : `?${text}`
}

/**
 * One request. `body` is sent as JSON, `yaml` as YAML text; `ifMatch` is a revision.
 * Resolves to `{ data, revision, status }` (`revision` from the ETag), rejects with ApiError.
 */
export async function api (method, path, { body, yaml, ifMatch } = {}) {
  const headers = { authorization: `Bearer ${session.key}`, accept: 'application/json' }
  let payload
  if (yaml !== undefined) {
    headers['content-type'] = 'application/yaml'
    payload = yaml
  } else if (body !== undefined) {
    headers['content-type'] = 'application/json'
    payload = JSON.stringify(body)
  }
  if (ifMatch !== undefined) headers['if-match'] = `"${ifMatch}"`
  const res = await fetch(path, { method, headers, body: payload, cache: 'no-store', credentials: 'omit' })
  const etag = res.headers.get('etag')
  const revision = etag === null ? undefined : Number(etag.replace(/[^0-9]/g, ''))
  const text = await res.text()
  let data = null
  if (text !== '') {
    try {
      data = JSON.parse(text)
    } catch {
      data = text
    }
  }
  if (!res.ok) throw new ApiError(res.status, data)
  return { data, revision, status: res.status }
}

/** Subjects of the tenant, every page (the console lists at most a few thousand). */
export async function allSubjects (filters = {}) {
  const subjects = []
  let after
  for (let page = 0; page < 20; page++) {
    const { data } = await api('GET', tenantPath(`/subjects${q({ ...filters, limit: 1000, after })}`))
    subjects.push(...data.subjects)
    if (data.next === '') break
    after = data.next
  }
  return subjects
}
