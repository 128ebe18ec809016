// Audit: the log (scope `audit`) with filters, each entry's before and after as a diff.
import { useEffect, useState } from 'preact/hooks'
import { api, q, tenantPath } from './api.js'
import { ErrorBox, JsonDiff } from './components.js'
import { html } from './html.js'
import { t } from './i18n.js'

const TYPES = ['tenant', 'policy', 'module', 'flag', 'role', 'subject', 'group', 'resource', 'key']

/** A `datetime-local` value (the browser's time zone) as ISO 8601, or nothing. */
const iso = local => local === '' ? undefined : new Date(local).toISOString()

/** A `put` of what did not exist reads as a creation. */
const kindOf = entry => entry.action === 'put' && entry.before === null ? 'create' : entry.action

export function AuditPage () {
  const [filters, setFilters] = useState({ type: '', id: '', since: '', until: '' })
  const [page, setPage] = useState(null)
  const [error, setError] = useState(null)
  const [open, setOpen] = useState(new Set())

  const load = async after => {
    setError(null)
    try {
      const { data } = await api('GET', tenantPath(`/audit${q({ entity_type: filters.type, entity_id: filters.id.trim(), since: iso(filters.since), until: iso(filters.until), limit: 50, after })}`))
      setPage(prev => ({ entries: after === undefined ? data.entries : [...(prev?.entries ?? []), ...data.entries], next: data.next }))
    } catch (err) {
      setError(err)
    }
  }
  useEffect(() => { load() }, [])
  const toggle = revision => {
    const next = new Set(open)
    if (next.has(revision)) next.delete(revision)
    else next.add(revision)
    setOpen(next)
  }
  const set = patch => setFilters({ ...filters, ...patch })

  return html`<h1>${t('audit.title')}</h1>
    <p class="lead">${t('audit.lead')}</p>
    <form class="filters" onSubmit=${e => { e.preventDefault(); setOpen(new Set()); load() }}>
      <label for="a-type">${t('audit.type')}</label>
      <select id="a-type" value=${filters.type} onChange=${e => set({ type: e.currentTarget.value })}>
        <option value="">${t('users.any')}</option>
        ${TYPES.map(type => html`<option value=${type}>${type}</option>`)}
      </select>
      <label for="a-id">${t('audit.entity')}</label>
      <input id="a-id" value=${filters.id} onInput=${e => set({ id: e.currentTarget.value })} />
      <label for="a-since">${t('audit.since')}</label>
      <input id="a-since" type="datetime-local" value=${filters.since} onInput=${e => set({ since: e.currentTarget.value })} />
      <label for="a-until">${t('audit.until')}</label>
      <input id="a-until" type="datetime-local" value=${filters.until} onInput=${e => set({ until: e.currentTarget.value })} />
      <button type="submit">${t('users.filter')}</button>
    </form>
    <${ErrorBox} error=${error} />
    ${page === null
      ? null
      : html`<ol class="audit">${page.entries.map(entry => html`<li>
          <button type="button" class="entry" aria-expanded=${open.has(entry.revision)} onClick=${() => toggle(entry.revision)}>
            <span class="rev">#${entry.revision}</span>
            <time datetime=${entry.at}>${new Date(entry.at).toLocaleString()}</time>
            <span class=${`act ${kindOf(entry)}`}>${t(`audit.action.${kindOf(entry)}`)}</span>
            <span class="what">${entry.entityType} <strong>${entry.entityId}</strong></span>
            <span class="who">${t('audit.by', { key: entry.keyId ?? '—' })}${entry.actor === null ? '' : ` · ${entry.actor}`}</span>
          </button>
          ${open.has(entry.revision) ? html`<${JsonDiff} before=${entry.before} after=${entry.after} />` : null}
        </li>`)}</ol>
        ${page.entries.length === 0 ? html`<p>${t('audit.none')}</p>` : null}
        ${page.next === '' ? null : html`<button type="button" onClick=${() => load(page.next)}>${t('more')}</button>`}`}`
}
