// The roles matrix: modules down, roles across, each cell a role's grant on a module,
// edited in place. Saving first shows the impact (`POST policy/diff` of the edited
// bundle), then writes with `If-Match`: an edit made by someone else in between is a
// conflict (412), never overwritten.
import { useEffect, useState } from 'preact/hooks'
import { api, tenantPath } from './api.js'
import { ErrorBox, GrantEditor, grantSummary, Impact, Notice } from './components.js'
import { html } from './html.js'
import { t } from './i18n.js'
import { cleanGrant, clone, stable } from './util.js'

const grantOf = (bundle, role, module) => bundle.roles[role]?.modules?.[module]

export function RolesPage () {
  const [bundle, setBundle] = useState(null)
  const [revision, setRevision] = useState(undefined)
  const [draft, setDraft] = useState(null)
  const [editing, setEditing] = useState(null)
  const [impact, setImpact] = useState(null)
  const [error, setError] = useState(null)
  const [notice, setNotice] = useState(null)
  const [noPolicy, setNoPolicy] = useState(false)
  const [busy, setBusy] = useState(false)

  const load = async () => {
    setError(null)
    setImpact(null)
    setEditing(null)
    try {
      const { data, revision } = await api('GET', tenantPath('/policy'))
      setBundle(data)
      setDraft(clone(data))
      setRevision(revision)
    } catch (err) {
      if (err.code === 'no_policy') setNoPolicy(true)
      else setError(err)
    }
  }
  useEffect(() => { load() }, [])
  // Closing an editor gives the focus back to its cell, so that the keyboard stays in the matrix.
  const [returnTo, setReturnTo] = useState(null)
  useEffect(() => {
    if (editing !== null || returnTo === null) return
    document.querySelector(`td[data-role="${returnTo.role}"][data-module="${returnTo.module}"] .cell-button`)?.focus()
    setReturnTo(null)
  }, [editing, returnTo])

  if (noPolicy) return html`<h1>${t('roles.title')}</h1><p>${t('roles.noPolicy')} <a href="#/templates">${t('nav.templates')}</a></p>`
  if (draft === null) return html`<h1>${t('roles.title')}</h1><${ErrorBox} error=${error} />${error === null ? html`<p>${t('loading')}</p>` : null}`

  const roles = Object.keys(draft.roles)
  const modules = Object.keys(draft.modules)
  const flags = Object.keys(draft.flags ?? {})
  const changedRoles = roles.filter(r => stable(draft.roles[r]) !== stable(bundle.roles[r]))

  const setGrant = (role, module, grant) => {
    const next = clone(draft)
    const def = next.roles[role]
    const cleaned = cleanGrant(grant)
    def.modules ??= {}
    if (cleaned === undefined) delete def.modules[module]
    else def.modules[module] = cleaned
    if (Object.keys(def.modules).length === 0) delete def.modules
    setDraft(next)
    setImpact(null)
  }
  const setRoleFlag = (role, flag, on) => {
    const next = clone(draft)
    const def = next.roles[role]
    const held = new Set(def.flags ?? [])
    if (on) held.add(flag)
    else held.delete(flag)
    def.flags = flags.filter(f => held.has(f))
    if (def.flags.length === 0) delete def.flags
    setDraft(next)
    setImpact(null)
  }

  const review = async () => {
    setBusy(true)
    setError(null)
    setNotice(null)
    try {
      const { data, revision: now } = await api('POST', tenantPath('/policy/diff'), { body: { bundle: draft } })
      // The diff is against the policy as it is now: after someone else's write it would
      // show their change undone as part of this one. Say so instead; the write would be refused anyway.
      if (now !== revision) setError({ code: 'revision_mismatch' })
      else setImpact(data)
    } catch (err) {
      setError(err)
    } finally {
      setBusy(false)
    }
  }

  const save = async () => {
    setBusy(true)
    setError(null)
    try {
      // One role: its own write (one audit entry for it); several: the bundle, in one write.
      const res = changedRoles.length === 1
        ? await api('PUT', tenantPath(`/roles/${encodeURIComponent(changedRoles[0])}`), { body: draft.roles[changedRoles[0]], ifMatch: revision })
        : await api('PUT', tenantPath('/policy'), { body: draft, ifMatch: revision })
      await load()
      setNotice(t('roles.saved', { revision: res.revision }))
    } catch (err) {
      setError(err)
      setImpact(null)
    } finally {
      setBusy(false)
    }
  }

  return html`<h1>${t('roles.title')}</h1>
    <p class="lead">${t('roles.lead', { revision })}</p>
    <${Notice} text=${notice} />
    <${ErrorBox} error=${error} onReload=${load} />
    <div class="savebar" role="region" aria-label=${t('roles.changes')}>
      <span>${t('roles.changed', { n: changedRoles.length })}</span>
      <button type="button" disabled=${changedRoles.length === 0 || busy} onClick=${review}>${t('roles.review')}</button>
      <button type="button" disabled=${changedRoles.length === 0 || busy} onClick=${() => { setDraft(clone(bundle)); setImpact(null); setEditing(null) }}>${t('roles.discard')}</button>
    </div>
    ${impact === null
      ? null
      : html`<div class="review">
          <${Impact} diff=${impact} />
          <div class="row">
            <button type="button" class="primary" disabled=${busy} onClick=${save}>${t('roles.save', { revision })}</button>
            <button type="button" onClick=${() => setImpact(null)}>${t('roles.back')}</button>
          </div>
        </div>`}
    <div class="matrix-wrap" tabindex="0" aria-label=${t('roles.title')}>
    <table class="matrix">
      <caption class="sr">${t('roles.caption')}</caption>
      <thead><tr>
        <th scope="col" class="corner">${t('roles.module')}</th>
        ${roles.map(r => {
          const def = draft.roles[r]
          return html`<th scope="col" data-role=${r} class=${changedRoles.includes(r) ? 'changed' : ''}>
            <div class="role-name">${r}</div>
            ${def.description === undefined ? null : html`<div class="desc">${def.description}</div>`}
            ${def.protected === true ? html`<span class="badge protected" title=${t('roles.protectedHint')}>${t('roles.protected')}</span>` : null}
            ${def.all === true ? html`<span class="badge all" title=${t('roles.allHint')}>${t('roles.all')}</span>` : null}
            ${def.fixed === true ? html`<span class="badge fixed" title=${t('roles.fixedHint')}>${t('roles.fixed')}</span>` : null}
            ${flags.length === 0
              ? null
              : html`<details class="flags"><summary>${t('roles.flags', { n: def.flags?.length ?? 0 })}</summary>
                  ${flags.map(f => html`<label title=${draft.flags[f]}><input type="checkbox" checked=${def.flags?.includes(f) === true}
                    disabled=${def.fixed === true} onChange=${e => setRoleFlag(r, f, e.currentTarget.checked)} /> ${f}</label>`)}
                </details>`}
          </th>`
        })}
      </tr></thead>
      <tbody>
        ${modules.map(m => html`<tr>
          <th scope="row"><div class="module-name">${m}</div>${draft.modules[m].description === undefined ? null : html`<div class="desc">${draft.modules[m].description}</div>`}</th>
          ${roles.map(r => {
            const grant = grantOf(draft, r, m)
            const changed = stable(grant) !== stable(grantOf(bundle, r, m))
            const open = editing?.role === r && editing?.module === m
            if (draft.roles[r].all === true) return html`<td class="cell all"><span>${t('roles.allCell')}</span></td>`
            // A fixed role changes only by a whole-bundle import: the API refuses its cells (409 role_fixed), so they are not editable here.
            if (draft.roles[r].fixed === true) {
              return html`<td class="cell fixed" data-role=${r} data-module=${m} title=${t('roles.fixedHint')}>
                ${grantSummary(grant).map(line => html`<span class="line">${line}</span>`)}</td>`
            }
            const close = () => { setEditing(null); setReturnTo({ role: r, module: m }) }
            // Escape closes from anywhere in the cell: the editor's own focus may not have moved yet.
            return html`<td class=${`cell${changed ? ' changed' : ''}${grant === undefined ? ' empty' : ''}`} data-role=${r} data-module=${m}
              onKeyDown=${e => { if (open && e.key === 'Escape') close() }}>
              <button type="button" class="cell-button" aria-expanded=${open}
                aria-label=${t('roles.editCell', { role: r, module: m })}
                onClick=${() => setEditing(open ? null : { role: r, module: m })}>
                ${grantSummary(grant).map(line => html`<span class="line">${line}</span>`)}
              </button>
              ${open
                ? html`<${GrantEditor} module=${m} moduleDef=${draft.modules[m]} grant=${grant} withAdmin=${true}
                    idPrefix=${`g-${r}-${m}`} onChange=${g => setGrant(r, m, g)} onClose=${close} />`
                : null}
            </td>`
          })}
        </tr>`)}
      </tbody>
    </table>
    </div>
`
}
