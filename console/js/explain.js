// Explain: why a user may or may not do an action on a resource (stored, or described by
// properties typed here), with the reason sentence and the fields; then who else can,
// and what this user can, from the AuthZEN search APIs.
//
// The decision comes from `POST policy/tests` (scope `admin`): a one-case suite over the
// tenant's stored subjects and resources, decided by the same function as
// `/access/v1/evaluation`. The searches are AuthZEN calls and need the `check` scope.
import { useEffect, useState } from 'preact/hooks'
import { allSubjects, api, tenantPath } from './api.js'
import { ErrorBox } from './components.js'
import { html } from './html.js'
import { t } from './i18n.js'
import { splitList } from './util.js'

/** The resource as a policy test case names it, and as an AuthZEN request sends it. */
function resourceOf (form, moduleDef) {
  if (form.mode === 'stored') {
    return { test: `${form.module}/${form.id}`, authzen: { type: form.module, id: form.id } }
  }
  const properties = {}
  if (form.project.trim() !== '') properties.project = form.project.trim()
  if (form.parent.trim() !== '') properties.parent = form.parent.trim()
  for (const relation of moduleDef.relations ?? []) {
    const values = splitList(form.relations[relation] ?? '')
    if (values.length > 0) properties[relation] = values
  }
  const id = form.id.trim() === '' ? undefined : form.id.trim()
  return {
    test: { type: form.module, ...(id === undefined ? {} : { id }), properties },
    authzen: { type: form.module, id: id ?? 'console-typed', properties }
  }
}

async function settle (promise) {
  try {
    return { value: await promise }
  } catch (error) {
    return { error }
  }
}

export function ExplainPage () {
  const [bundle, setBundle] = useState(null)
  const [subjects, setSubjects] = useState([])
  const [form, setForm] = useState({ subject: '', module: '', action: '', mode: 'stored', id: '', project: '', parent: '', relations: {} })
  const [result, setResult] = useState(null)
  const [error, setError] = useState(null)
  const [busy, setBusy] = useState(false)

  useEffect(() => {
    (async () => {
      try {
        const [{ data }, list] = await Promise.all([api('GET', tenantPath('/policy')), allSubjects()])
        setBundle(data)
        setSubjects(list.map(s => s.id))
        const module = Object.keys(data.modules)[0] ?? ''
        setForm(f => ({ ...f, module, action: Object.keys(data.modules[module]?.actions ?? {})[0] ?? '', subject: list[0]?.id ?? '' }))
      } catch (err) {
        setError(err)
      }
    })()
  }, [])

  if (bundle === null) return html`<h1>${t('explain.title')}</h1><${ErrorBox} error=${error} />`
  const moduleDef = bundle.modules[form.module] ?? { actions: {} }
  const set = patch => setForm({ ...form, ...patch })

  const explain = async e => {
    e.preventDefault()
    setBusy(true)
    setError(null)
    setResult(null)
    const resource = resourceOf(form, moduleDef)
    const suite = { name: 'console explain', cases: [{ name: 'explain', subject: form.subject, action: form.action, resource: resource.test, expect: 'allow' }] }
    const [decision, who, what, which] = await Promise.all([
      settle(api('POST', tenantPath('/policy/tests'), { body: suite })),
      settle(api('POST', '/access/v1/search/subject', { tenantHeader: true, body: { subject: { type: 'user' }, action: { name: form.action }, resource: resource.authzen } })),
      settle(api('POST', '/access/v1/search/action', { tenantHeader: true, body: { subject: { type: 'user', id: form.subject }, resource: resource.authzen } })),
      settle(api('POST', '/access/v1/search/resource', { tenantHeader: true, body: { subject: { type: 'user', id: form.subject }, action: { name: form.action }, resource: { type: form.module } } }))
    ])
    setBusy(false)
    if (decision.error !== undefined) {
      setError(decision.error)
      return
    }
    setResult({ run: decision.value.data.cases[0], who, what, which, asked: { ...form } })
  }

  const run = result?.run
  const allowed = run?.actual.decision === 'allow'
  return html`<h1>${t('explain.title')}</h1>
    <p class="lead">${t('explain.lead')}</p>
    <form class="explain-form" onSubmit=${explain}>
      <div class="fields">
        <label for="ex-subject">${t('explain.subject')}</label>
        <input id="ex-subject" list="ex-subjects" required value=${form.subject} onInput=${e => set({ subject: e.currentTarget.value })} />
        <datalist id="ex-subjects">${subjects.map(s => html`<option value=${s} />`)}</datalist>
        <label for="ex-module">${t('explain.module')}</label>
        <select id="ex-module" value=${form.module} onChange=${e => set({ module: e.currentTarget.value, action: Object.keys(bundle.modules[e.currentTarget.value].actions)[0] ?? '', relations: {} })}>
          ${Object.keys(bundle.modules).map(m => html`<option value=${m}>${m}</option>`)}
        </select>
        <label for="ex-action">${t('explain.action')}</label>
        <select id="ex-action" value=${form.action} onChange=${e => set({ action: e.currentTarget.value })}>
          ${Object.keys(moduleDef.actions).map(a => html`<option value=${a}>${a}</option>`)}
        </select>
      </div>
      <fieldset class="mode"><legend>${t('explain.resource')}</legend>
        <label><input type="radio" name="mode" value="stored" checked=${form.mode === 'stored'} onChange=${() => set({ mode: 'stored' })} /> ${t('explain.stored')}</label>
        <label><input type="radio" name="mode" value="typed" checked=${form.mode === 'typed'} onChange=${() => set({ mode: 'typed' })} /> ${t('explain.typed')}</label>
      </fieldset>
      <div class="fields">
        <label for="ex-id">${t('explain.resourceId')}</label>
        <input id="ex-id" required=${form.mode === 'stored'} value=${form.id} onInput=${e => set({ id: e.currentTarget.value })} />
        ${form.mode === 'typed'
          ? html`
            <label for="ex-project">project</label>
            <input id="ex-project" value=${form.project} onInput=${e => set({ project: e.currentTarget.value })} />
            <label for="ex-parent">parent</label>
            <input id="ex-parent" value=${form.parent} onInput=${e => set({ parent: e.currentTarget.value })} />
            ${(moduleDef.relations ?? []).map(r => html`
              <label for=${`ex-rel-${r}`}>${r}</label>
              <input id=${`ex-rel-${r}`} placeholder=${t('explain.relationHint')} value=${form.relations[r] ?? ''}
                onInput=${e => set({ relations: { ...form.relations, [r]: e.currentTarget.value } })} />`)}`
          : null}
      </div>
      <button type="submit" class="primary" disabled=${busy}>${t('explain.submit')}</button>
    </form>
    <${ErrorBox} error=${error} />
    ${run === undefined
      ? null
      : html`<section class="decision" aria-live="polite">
          <h2 class=${allowed ? 'allow' : 'deny'} data-decision=${run.actual.decision}>
            ${allowed ? t('explain.allowed') : t('explain.denied')}</h2>
          <p class="reason"><span data-reason=${run.actual.reason.code}>${run.actual.reason.message}</span> <code>${run.actual.reason.code}</code></p>
          ${run.fields === undefined
            ? null
            : html`<dl class="fieldlist">
                <dt>${t('explain.visible')}</dt><dd>${run.fields.visible.join(', ') || '—'}</dd>
                <dt>${t('explain.editable')}</dt><dd>${run.fields.editable.join(', ') || '—'}</dd>
              </dl>`}
        </section>
        <section class="search">
          <div>
            <h3>${t('explain.whoCan', { action: result.asked.action })}</h3>
            <${SearchList} outcome=${result.who} render=${r => r.id} />
          </div>
          <div>
            <h3>${t('explain.whatCan', { subject: result.asked.subject })}</h3>
            <${SearchList} outcome=${result.what} render=${r => r.name} />
          </div>
          <div>
            <h3>${t('explain.whichCan', { subject: result.asked.subject, action: result.asked.action, module: result.asked.module })}</h3>
            <${SearchList} outcome=${result.which} render=${r => `${r.type}/${r.id}`} />
          </div>
        </section>`}`
}

function SearchList ({ outcome, render }) {
  if (outcome.error !== undefined) {
    return outcome.error.status === 403
      ? html`<p class="msg error">${t('explain.needsCheck')} <small>(${outcome.error.message})</small></p>`
      : html`<${ErrorBox} error=${outcome.error} />`
  }
  const results = outcome.value.data.results
  if (results.length === 0) return html`<p>${t('explain.nobody')}</p>`
  return html`<ul class="chips">${results.map(r => html`<li>${render(r)}</li>`)}</ul>`
}
