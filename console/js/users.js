// Users: the list with filters, and a user's page (roles per project, groups, status,
// per-user overrides edited in place) beside the effective-permissions matrix, where
// what an override changes is marked custom, as the seeds' products show it in italics.
import { useEffect, useState } from 'preact/hooks'
import { api, q, tenantPath } from './api.js'
import { ErrorBox, GrantEditor, grantSummary, Notice } from './components.js'
import { html } from './html.js'
import { t } from './i18n.js'
import { cleanGrant, clone, splitList, stable } from './util.js'

const userHref = id => `#/users/${encodeURIComponent(id)}`

export function UsersPage () {
  const [roles, setRoles] = useState([])
  const [filters, setFilters] = useState({ role: '', group: '', project: '', status: '' })
  const [page, setPage] = useState(null)
  const [error, setError] = useState(null)

  const load = async (after) => {
    setError(null)
    try {
      const { data } = await api('GET', tenantPath(`/subjects${q({ role: filters.role, group: filters.group.trim(), project: filters.project.trim(), limit: 100, after })}`))
      setPage(prev => ({ subjects: after === undefined ? data.subjects : [...(prev?.subjects ?? []), ...data.subjects], next: data.next }))
    } catch (err) {
      setError(err)
    }
  }
  useEffect(() => {
    api('GET', tenantPath('/roles')).then(({ data }) => setRoles(Object.keys(data.roles)), setError)
    load()
  }, [])

  const shown = (page?.subjects ?? []).filter(s => filters.status === '' || (s.status ?? 'active') === filters.status)
  return html`<h1>${t('users.title')}</h1>
    <form class="filters" onSubmit=${e => { e.preventDefault(); load() }}>
      <label for="f-role">${t('users.role')}</label>
      <select id="f-role" value=${filters.role} onChange=${e => setFilters({ ...filters, role: e.currentTarget.value })}>
        <option value="">${t('users.any')}</option>
        ${roles.map(r => html`<option value=${r}>${r}</option>`)}
      </select>
      <label for="f-group">${t('users.group')}</label>
      <input id="f-group" value=${filters.group} onInput=${e => setFilters({ ...filters, group: e.currentTarget.value })} />
      <label for="f-project">${t('users.project')}</label>
      <input id="f-project" value=${filters.project} onInput=${e => setFilters({ ...filters, project: e.currentTarget.value })} />
      <label for="f-status">${t('users.status')}</label>
      <select id="f-status" value=${filters.status} onChange=${e => setFilters({ ...filters, status: e.currentTarget.value })}>
        <option value="">${t('users.any')}</option>
        <option value="active">${t('status.active')}</option>
        <option value="inactive">${t('status.inactive')}</option>
      </select>
      <button type="submit">${t('users.filter')}</button>
    </form>
    <${ErrorBox} error=${error} />
    ${page === null
      ? null
      : html`<div class="table-wrap"><table class="list">
          <thead><tr>
            <th scope="col">${t('users.id')}</th><th scope="col">${t('users.roles')}</th><th scope="col">${t('users.projects')}</th>
            <th scope="col">${t('users.groups')}</th><th scope="col">${t('users.status')}</th>
          </tr></thead>
          <tbody>${shown.map(s => html`<tr>
            <td><a href=${userHref(s.id)}>${s.id}</a>${s.owner === true ? html` <span class="badge">${t('users.owner')}</span>` : null}${s.overrides === undefined ? null : html` <span class="badge custom">${t('users.custom')}</span>`}</td>
            <td>${s.roles.join(', ')}</td>
            <td>${Object.entries(s.projects ?? {}).map(([p, rs]) => `${p}: ${rs.join(', ')}`).join(' · ')}</td>
            <td>${(s.groups ?? []).join(', ')}</td>
            <td>${t(`status.${s.status ?? 'active'}`)}</td>
          </tr>`)}</tbody>
        </table></div>
        ${shown.length === 0 ? html`<p>${t('users.none')}</p>` : null}
        ${page.next === '' ? null : html`<button type="button" onClick=${() => load(page.next)}>${t('more')}</button>`}`}`
}

/** A cell of the effective matrix: an action, where the user reaches it (under which condition), and whether an override made it so. */
function PermissionChip ({ cell }) {
  const allowed = cell.scope !== 'none'
  const custom = cell.sources.includes('custom')
  const where = Array.isArray(cell.scope) ? cell.scope.join(', ') : t(`access.${cell.scope}`)
  const scope = typeof cell.when === 'string' ? t('impact.when', { scope: where, when: cell.when }) : where
  return html`<li class=${`perm${allowed ? ' on' : ' off'}${custom ? ' custom' : ''}`} data-action=${cell.action}
      title=${`${t('users.sources')}: ${cell.sources.join(', ') || '—'}`}>
    <span class="action">${cell.action}</span>${allowed ? html` <span class="scope">${scope}</span>` : null}
    ${custom ? html` <span class="badge custom">${t('users.custom')}</span>` : null}
    ${cell.sources.length > 0 ? html`<span class="sr"> (${cell.sources.join(', ')})</span>` : null}
  </li>`
}

function Matrix ({ cells, modules, flags }) {
  const byModule = new Map()
  for (const cell of cells) {
    if (!byModule.has(cell.module)) byModule.set(cell.module, [])
    byModule.get(cell.module).push(cell)
  }
  return html`<table class="effective">
    <tbody>${modules.filter(m => byModule.has(m)).map(m => html`<tr data-module=${m}>
      <th scope="row">${m}</th>
      <td><ul class="chips">${byModule.get(m).map(c => html`<${PermissionChip} cell=${c} />`)}</ul></td>
    </tr>`)}</tbody>
  </table>
  <p class="flags-held">${t('users.flagsHeld')}: ${flags.length === 0 ? '—' : flags.join(', ')}</p>`
}

export function UserPage ({ id }) {
  const [subject, setSubject] = useState(null)
  const [revision, setRevision] = useState(undefined)
  const [bundle, setBundle] = useState(null)
  const [permissions, setPermissions] = useState(null)
  const [profile, setProfile] = useState(null)
  const [overrides, setOverrides] = useState(null)
  const [editing, setEditing] = useState(null)
  const [error, setError] = useState(null)
  const [notice, setNotice] = useState(null)

  const load = async () => {
    setError(null)
    setEditing(null)
    try {
      const path = tenantPath(`/subjects/${encodeURIComponent(id)}`)
      const [s, p, perms] = await Promise.all([api('GET', path), api('GET', tenantPath('/policy')), api('GET', `${path}/permissions`)])
      setSubject(s.data)
      setRevision(s.revision)
      setBundle(p.data)
      setPermissions(perms.data)
      setProfile({
        roles: s.data.roles,
        projects: Object.entries(s.data.projects ?? {}).map(([project, roles]) => ({ project, roles })),
        groups: (s.data.groups ?? []).join(', '),
        status: s.data.status ?? 'active'
      })
      setOverrides(clone(s.data.overrides ?? {}))
    } catch (err) {
      setError(err)
    }
  }
  useEffect(() => { load() }, [id])

  if (subject === null || bundle === null) return html`<h1>${id}</h1><${ErrorBox} error=${error} />`
  const roleNames = Object.keys(bundle.roles)
  const modules = Object.keys(bundle.modules)
  const flagNames = Object.keys(bundle.flags ?? {})
  const cleanOverrides = () => {
    const out = {}
    const modulesOut = {}
    for (const [m, o] of Object.entries(overrides.modules ?? {})) {
      const cleaned = cleanGrant(o, { keepNone: true })
      if (cleaned !== undefined) modulesOut[m] = cleaned
    }
    if (Object.keys(overrides.flags ?? {}).length > 0) out.flags = overrides.flags
    if (Object.keys(modulesOut).length > 0) out.modules = modulesOut
    return out
  }
  const overridesChanged = stable(cleanOverrides()) !== stable(subject.overrides ?? {})

  const write = async (method, path, body) => {
    setError(null)
    setNotice(null)
    try {
      const res = await api(method, tenantPath(`/subjects/${encodeURIComponent(id)}${path}`), { body, ifMatch: revision })
      await load()
      setNotice(t('users.saved', { revision: res.revision }))
    } catch (err) {
      setError(err)
    }
  }
  const saveProfile = e => {
    e.preventDefault()
    const projects = Object.fromEntries(profile.projects.filter(p => p.project.trim() !== '' && p.roles.length > 0).map(p => [p.project.trim(), p.roles]))
    const body = { ...subject, roles: profile.roles, groups: splitList(profile.groups), status: profile.status }
    if (Object.keys(projects).length > 0) body.projects = projects
    else delete body.projects
    if (body.groups.length === 0) delete body.groups
    write('PUT', '', body)
  }
  const saveOverrides = () => {
    const body = cleanOverrides()
    if (Object.keys(body).length === 0) write('DELETE', '/overrides')
    else write('PUT', '/overrides', body)
  }
  const toggleRole = (list, role, on) => roleNames.filter(r => r === role ? on : list.includes(r))
  const setOverride = (m, o) => setOverrides({ ...overrides, modules: { ...(overrides.modules ?? {}), [m]: o } })
  const setFlag = (f, value) => {
    const next = { ...(overrides.flags ?? {}) }
    if (value === '') delete next[f]
    else next[f] = value === 'on'
    setOverrides({ ...overrides, flags: next })
  }

  return html`<p><a href="#/users">← ${t('users.title')}</a></p>
    <h1>${id} ${subject.owner === true ? html`<span class="badge">${t('users.owner')}</span>` : null}
      ${subject.overrides === undefined ? null : html`<span class="badge custom" title=${t('users.customHint')}>${t('users.customBanner')}</span>`}</h1>
    <${Notice} text=${notice} />
    <${ErrorBox} error=${error} onReload=${load} />
    <div class="user-layout">
      <div>
        <form class="profile" onSubmit=${saveProfile} aria-labelledby="profile-h">
          <h2 id="profile-h">${t('users.profile')}</h2>
          <fieldset class="checks"><legend>${t('users.roles')}</legend>
            ${roleNames.map(r => html`<label><input type="checkbox" name="role" value=${r} checked=${profile.roles.includes(r)}
              onChange=${e => setProfile({ ...profile, roles: toggleRole(profile.roles, r, e.currentTarget.checked) })} /> ${r}</label>`)}
          </fieldset>
          <fieldset><legend>${t('users.projects')}</legend>
            ${profile.projects.map((p, i) => html`<div class="project-row">
              <input aria-label=${t('users.project')} value=${p.project}
                onInput=${e => setProfile({ ...profile, projects: profile.projects.map((x, j) => j === i ? { ...x, project: e.currentTarget.value } : x) })} />
              <div class="checks">${roleNames.map(r => html`<label><input type="checkbox" checked=${p.roles.includes(r)}
                onChange=${e => setProfile({ ...profile, projects: profile.projects.map((x, j) => j === i ? { ...x, roles: toggleRole(x.roles, r, e.currentTarget.checked) } : x) })} /> ${r}</label>`)}</div>
            </div>`)}
            <button type="button" onClick=${() => setProfile({ ...profile, projects: [...profile.projects, { project: '', roles: [] }] })}>${t('users.addProject')}</button>
          </fieldset>
          <label for="u-groups">${t('users.groups')}</label>
          <input id="u-groups" value=${profile.groups} onInput=${e => setProfile({ ...profile, groups: e.currentTarget.value })} />
          <label for="u-status">${t('users.status')}</label>
          <select id="u-status" value=${profile.status} onChange=${e => setProfile({ ...profile, status: e.currentTarget.value })}>
            <option value="active">${t('status.active')}</option>
            <option value="inactive">${t('status.inactive')}</option>
          </select>
          <div class="row"><button type="submit" class="primary">${t('users.saveProfile')}</button></div>
        </form>

        <section class="overrides" aria-labelledby="ov-h">
          <h2 id="ov-h">${t('users.overrides')}</h2>
          <p class="hint">${t('users.overridesHint')}</p>
          <table class="list">
            <tbody>${modules.map(m => {
              const o = overrides.modules?.[m]
              const open = editing === m
              return html`<tr data-module=${m} class=${o === undefined ? '' : 'custom'}>
                <th scope="row">${m}</th>
                <td onKeyDown=${e => { if (open && e.key === 'Escape') setEditing(null) }}>
                  <button type="button" class="cell-button" aria-expanded=${open} aria-label=${t('users.editOverride', { module: m })}
                    onClick=${() => setEditing(open ? null : m)}>
                    ${o === undefined ? html`<span class="line">${t('users.fromRoles')}</span>` : grantSummary(o, { override: true }).map(l => html`<span class="line">${l}</span>`)}
                  </button>
                  ${open
                    ? html`<${GrantEditor} module=${m} moduleDef=${bundle.modules[m]} grant=${o} withAdmin=${false} idPrefix=${`o-${m}`}
                        onChange=${g => setOverride(m, g)} onClose=${() => setEditing(null)} />`
                    : null}
                </td>
              </tr>`
            })}</tbody>
          </table>
          ${flagNames.length === 0
            ? null
            : html`<fieldset><legend>${t('users.flagOverrides')}</legend>
                ${flagNames.map(f => {
                  const value = overrides.flags?.[f]
                  return html`<label class="flag-row">${f}
                    <select aria-label=${f} value=${value === undefined ? '' : value ? 'on' : 'off'} onChange=${e => setFlag(f, e.currentTarget.value)}>
                      <option value="">${t('editor.inherit')}</option><option value="on">${t('users.flagOn')}</option><option value="off">${t('users.flagOff')}</option>
                    </select></label>`
                })}
              </fieldset>`}
          <div class="row">
            <button type="button" class="primary" disabled=${!overridesChanged} onClick=${saveOverrides}>${t('users.saveOverrides')}</button>
            <button type="button" disabled=${subject.overrides === undefined} onClick=${() => write('DELETE', '/overrides')}>${t('users.removeOverrides')}</button>
          </div>
        </section>
      </div>

      <section class="permissions" aria-labelledby="perm-h">
        <h2 id="perm-h">${t('users.effective')}</h2>
        <p class="hint">${t('users.effectiveHint')}</p>
        <${Matrix} cells=${permissions.cells} modules=${modules} flags=${permissions.flags} />
        ${Object.entries(permissions.projects).map(([project, matrix]) => html`<details open>
          <summary>${t('users.inProject', { project })}</summary>
          <${Matrix} cells=${matrix.cells} modules=${modules} flags=${matrix.flags} />
        </details>`)}
      </section>
    </div>`
}
