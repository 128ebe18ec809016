// Pieces shared by the pages: error and conflict messages, the grant editor (a role cell
// or a user's override on one module), the impact report of a policy diff, a JSON diff.
import { useEffect, useRef } from 'preact/hooks'
import { html } from './html.js'
import { t } from './i18n.js'
import { jsonChanges, show } from './util.js'

export const ACCESS = ['none', 'assigned', 'all']
export const LEVELS = ['limited', 'management', 'full']

/** An API refusal as the page shows it: the sentence, then each detail with its path and line. */
export function ErrorBox ({ error, onReload }) {
  if (error === null || error === undefined) return null
  if (error.code === 'revision_mismatch') {
    return html`<div class="msg conflict" role="alert">
      <strong>${t('conflict.title')}</strong>
      <p>${t('conflict.body')}</p>
      ${onReload === undefined ? null : html`<button type="button" onClick=${onReload}>${t('conflict.reload')}</button>`}
    </div>`
  }
  return html`<div class="msg error" role="alert">
    <strong>${error.message}</strong> ${error.code === undefined ? null : html`<code>${error.code}</code>`}
    ${error.details?.length > 0
      ? html`<ul class="problems">${error.details.map(d => html`<li>
          <code class="path">${d.path === '' ? '/' : d.path}</code>${d.line === undefined ? null : html` <span class="line">${t('problem.line', { line: d.line, col: d.col ?? 1 })}</span>`}
          <span> ${d.message}</span></li>`)}</ul>`
      : null}
  </div>`
}

export function Notice ({ text }) {
  return text === null || text === undefined ? null : html`<div class="msg ok" role="status">${text}</div>`
}

/** `none` / `assigned` / `all`, or the relations a list names. */
export function accessLabel (access) {
  if (access === undefined) return t('access.none')
  if (Array.isArray(access)) return `${t('access.relations')}: ${access.join(', ')}`
  return t(`access.${access}`)
}

/**
 * One line per part of a grant, for a matrix cell. `override`: an absent access or level
 * is the roles', not none.
 */
export function grantSummary (grant, { override = false } = {}) {
  if (grant === undefined) return [t('access.none')]
  const lines = []
  if (grant.admin === true) lines.push(t('grant.admin'))
  const head = [override && grant.access === undefined ? t('editor.inherit') : accessLabel(grant.access)]
  if (grant.level !== undefined) head.push(t(`level.${grant.level}`))
  if (grant.admin !== true || grant.access !== undefined) lines.push(head.join(' · '))
  if (grant.allow?.length > 0) lines.push(`+ ${grant.allow.join(', ')}`)
  if (grant.deny?.length > 0) lines.push(`− ${grant.deny.join(', ')}`)
  if (grant.scope !== undefined) lines.push(t('grant.scoped', { n: Object.keys(grant.scope).length }))
  return lines
}

/**
 * The editor of one grant on one module: access (with relations), level, extra allowed
 * and denied actions, and, for a role, `admin`. Escape closes it.
 */
export function GrantEditor ({ module, moduleDef, grant, onChange, onClose, withAdmin, idPrefix }) {
  const first = useRef(null)
  useEffect(() => { first.current?.focus() }, [])
  const g = grant ?? {}
  const actions = Object.keys(moduleDef.actions ?? {})
  const relations = moduleDef.relations ?? []
  // A role's absent access is `none`; an override's is "from the roles" (the empty option).
  const accessKind = Array.isArray(g.access) ? 'relations' : (g.access ?? (withAdmin ? 'none' : ''))
  const set = (key, value) => onChange({ ...g, [key]: value })
  const toggle = (key, action, on) => {
    const list = new Set(g[key] ?? [])
    if (on) list.add(action)
    else list.delete(action)
    set(key, actions.filter(a => list.has(a)))
  }
  const id = name => `${idPrefix}-${name}`
  return html`<div class="grant-editor" role="group" aria-label=${t('editor.label', { module })}
      onKeyDown=${e => { if (e.key === 'Escape') { e.stopPropagation(); onClose() } }}>
    <label for=${id('access')}>${t('editor.access')}</label>
    <select id=${id('access')} ref=${first} value=${accessKind}
      onChange=${e => set('access', e.currentTarget.value === 'relations' ? relations.slice(0, 1) : (e.currentTarget.value === '' ? undefined : e.currentTarget.value))}>
      ${withAdmin ? null : html`<option value="">${t('editor.inherit')}</option>`}
      ${ACCESS.map(a => html`<option value=${a}>${t(`access.${a}`)}</option>`)}
      ${relations.length > 0 ? html`<option value="relations">${t('access.relations')}</option>` : null}
    </select>
    ${accessKind === 'relations'
      ? html`<fieldset class="checks"><legend>${t('access.relations')}</legend>${relations.map(r => html`<label>
          <input type="checkbox" checked=${g.access.includes(r)}
            onChange=${e => set('access', relations.filter(x => x === r ? e.currentTarget.checked : g.access.includes(x)))} /> ${r}</label>`)}</fieldset>`
      : null}
    <label for=${id('level')}>${t('editor.level')}</label>
    <select id=${id('level')} value=${g.level ?? ''} onChange=${e => set('level', e.currentTarget.value === '' ? undefined : e.currentTarget.value)}>
      <option value="">${withAdmin ? t('level.unset') : t('editor.inherit')}</option>
      ${LEVELS.map(l => html`<option value=${l}>${t(`level.${l}`)}</option>`)}
    </select>
    <fieldset class="checks"><legend>${t('editor.allow')}</legend>
      ${actions.map(a => html`<label><input type="checkbox" checked=${g.allow?.includes(a) === true} onChange=${e => toggle('allow', a, e.currentTarget.checked)} /> ${a}</label>`)}
    </fieldset>
    <fieldset class="checks"><legend>${t('editor.deny')}</legend>
      ${actions.map(a => html`<label><input type="checkbox" checked=${g.deny?.includes(a) === true} onChange=${e => toggle('deny', a, e.currentTarget.checked)} /> ${a}</label>`)}
    </fieldset>
    ${withAdmin
      ? html`<label class="inline"><input type="checkbox" checked=${g.admin === true} onChange=${e => set('admin', e.currentTarget.checked)} /> ${t('editor.admin')}</label>`
      : null}
    <div class="row"><button type="button" onClick=${onClose}>${t('editor.done')}</button></div>
  </div>`
}

/** A role permission's or a user's reach in words, with the condition it holds under (`when`, CEL) when it has one. */
function reachLabel (after) {
  if (after.granted === false || after.allowed === false) return t('impact.none')
  const label = scopeLabel(after.scope)
  return typeof after.when === 'string' ? t('impact.when', { scope: label, when: after.when }) : label
}

function scopeLabel (scope) {
  if (scope === undefined) return t('impact.yes')
  if (scope.kind === 'relations' || scope.kind === 'assigned') return `${t(`access.${scope.kind === 'assigned' ? 'assigned' : 'relations'}`)} (${scope.relations.join(', ')})`
  if (scope.kind === 'all-role') return t('access.all')
  return t(`access.${scope.kind}`, {}, scope.kind)
}

const SIGN = { gained: '+', lost: '−', changed: '~', unchanged: '=' }

/** The `policy/diff` report: what each role's permissions become, and who gains or loses what. */
export function Impact ({ diff }) {
  const subjects = (diff.subjects ?? []).map(s => ({
    subject: s.subject,
    changes: [
      ...(s.changes ?? []).filter(c => c.change !== 'unchanged').map(c => ({ ...c, where: '' })),
      ...(s.projects ?? []).flatMap(p => (p.changes ?? []).filter(c => c.change !== 'unchanged').map(c => ({ ...c, where: p.project })))
    ]
  })).filter(s => s.changes.length > 0)
  return html`<section class="impact" aria-label=${t('impact.title')}>
    <h3>${t('impact.title')}</h3>
    ${diff.changed === false ? html`<p>${t('impact.nothing')}</p>` : null}
    ${diff.permissions?.length > 0
      ? html`<h4>${t('impact.roles')}</h4><ul class="changes">${diff.permissions.map(p => html`<li class=${p.change}>
          <span class="sign">${SIGN[p.change]}</span> <strong>${p.role}</strong> · ${p.module}.${p.action}: ${reachLabel(p.before)} → ${reachLabel(p.after)}</li>`)}</ul>`
      : null}
    ${diff.fields?.length > 0
      ? html`<h4>${t('impact.fields')}</h4><ul class="changes">${diff.fields.map(f => html`<li class="changed">
          <span class="sign">~</span> <strong>${f.role}</strong> · ${f.module}.${f.field}: ${f.before} → ${f.after}</li>`)}</ul>`
      : null}
    <h4>${t('impact.users')}</h4>
    ${subjects.length === 0
      ? html`<p>${t('impact.noUser')}</p>`
      : html`<ul class="changes users-impact">${subjects.map(s => html`<li><strong>${s.subject}</strong>
          <ul>${s.changes.map(c => html`<li class=${c.change}><span class="sign">${SIGN[c.change]}</span> ${c.where === '' ? '' : `[${c.where}] `}${c.module}.${c.action}: ${reachLabel(c.before)} → ${reachLabel(c.after)}</li>`)}</ul></li>`)}</ul>`}
  </section>`
}

/** An audit entry's before and after, one changed leaf per line. */
export function JsonDiff ({ before, after }) {
  const changes = jsonChanges(before, after)
  if (changes.length === 0) return html`<p>${t('audit.same')}</p>`
  return html`<table class="jsondiff">
    <thead><tr><th scope="col">${t('audit.path')}</th><th scope="col">${t('audit.before')}</th><th scope="col">${t('audit.after')}</th></tr></thead>
    <tbody>${changes.map(c => html`<tr>
      <td><code>${c.path}</code></td>
      <td class="del">${c.before === undefined ? '' : html`<del>${show(c.before)}</del>`}</td>
      <td class="ins">${c.after === undefined ? '' : html`<ins>${show(c.after)}</ins>`}</td></tr>`)}</tbody>
  </table>`
}
