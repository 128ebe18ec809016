// Explain: why a user may or may not do an action on a resource (stored, or described by
// properties typed here), with the reason sentence and the fields; then who else can,
// and what this user can, and which stored resources.
//
// The console needs no scope beyond `admin`, so the decision and the three lists all come
// from `POST policy/tests`: suites over the tenant's stored subjects and resources, decided
// by the same function as `/access/v1/evaluation` and so as the AuthZEN searches
// (`search/subject` decides over every stored subject, `search/action` over the module's
// actions, `search/resource` over the module's stored resources: one case each here).
import { useEffect, useState } from 'preact/hooks'
import { allSubjects, api, q, tenantPath } from './api.js'
import { ErrorBox } from './components.js'
import { html } from './html.js'
import { t } from './i18n.js'
import { splitList } from './util.js'

/** The resource as the explained test case names it, and as the lists' cases send it. */
function resourceOf (form, moduleDef) {
  if (form.mode === 'stored') {
    return { test: `${form.module}/${form.id}`, list: { type: form.module, id: form.id } }
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
    // The searches' resource in a suite: `{ type, id }` is the stored resource (or, not
    // stored, one without properties, as AuthZEN reads it), with properties as typed.
    list: { type: form.module, id: id ?? 'console-typed', properties }
  }
}

/** What `POST policy/tests` runs in one request (MAX_SUITE_CASES). */
const CASES_PER_RUN = 1000
/** As the searches' first page: the console shows at most that many. */
const SHOWN = 1000
/** Subjects read for "who can", in pages of 1,000; past that the list says it is partial. */
const MAX_SUBJECT_PAGES = 50
/** Stored resources read for "which resources", in pages of 1,000; past that the list says it is partial. */
const MAX_RESOURCE_PAGES = 50

/** The decisions of `cases` (one per entry), in order, in runs of at most CASES_PER_RUN. */
async function decideAll (cases) {
  const decisions = []
  for (let i = 0; i < cases.length; i += CASES_PER_RUN) {
    const { data } = await api('POST', tenantPath('/policy/tests'), { body: { name: 'console search', cases: cases.slice(i, i + CASES_PER_RUN) } })
    decisions.push(...data.cases.map(c => c.actual.decision))
  }
  return decisions
}

/** The ids of every stored subject, ascending as `search/subject` orders them; `complete` false past MAX_SUBJECT_PAGES. */
async function storedSubjectIds () {
  const ids = []
  let after
  for (let page = 0; page < MAX_SUBJECT_PAGES; page++) {
    const { data } = await api('GET', tenantPath(`/subjects${q({ limit: 1000, after })}`))
    ids.push(...data.subjects.map(s => s.id))
    if (data.next === '') return { ids: ids.sort(byCodeUnit), complete: true }
    after = data.next
  }
  return { ids: ids.sort(byCodeUnit), complete: false }
}

// The service compares ids with `<` on strings, as here.
const byCodeUnit = (a, b) => a < b ? -1 : a > b ? 1 : 0

/**
 * The ids of the module's stored resources, in the store's order (the database's collation,
 * as `search/resource` pages them: not re-sorted here); `complete` false past MAX_RESOURCE_PAGES.
 */
async function storedResourceIds (module) {
  const ids = []
  let after
  for (let page = 0; page < MAX_RESOURCE_PAGES; page++) {
    const { data } = await api('GET', tenantPath(`/resources/${encodeURIComponent(module)}${q({ limit: 1000, after })}`))
    ids.push(...data.resources.map(r => r.id))
    if (data.next === '') return { ids, complete: true }
    after = data.next
  }
  return { ids, complete: false }
}

/** "Which resources": each stored resource of the module decided for the subject, as `search/resource` does. */
async function whichCan (subject, action, module) {
  const { ids, complete } = await storedResourceIds(module)
  const decisions = await decideAll(ids.map(id => ({ subject, action, resource: { type: module, id }, expect: 'allow' })))
  const allowed = ids.filter((_, i) => decisions[i] === 'allow')
  return { results: allowed.slice(0, SHOWN).map(id => ({ type: module, id })), more: allowed.length > SHOWN, complete, partial: 'explain.partialResources', pages: MAX_RESOURCE_PAGES }
}

/** "Who can": each stored subject decided on the resource, as `search/subject` does. */
async function whoCan (action, resource) {
  const { ids, complete } = await storedSubjectIds()
  const decisions = await decideAll(ids.map(subject => ({ subject, action, resource, expect: 'allow' })))
  const allowed = ids.filter((_, i) => decisions[i] === 'allow')
  return { results: allowed.slice(0, SHOWN).map(id => ({ type: 'user', id })), more: allowed.length > SHOWN, complete, partial: 'explain.partial', pages: MAX_SUBJECT_PAGES }
}

/** "What can": each action of the module, in declaration order, as `search/action` does. */
async function whatCan (subject, actions, resource) {
  const decisions = await decideAll(actions.map(action => ({ subject, action, resource, expect: 'allow' })))
  return { results: actions.filter((_, i) => decisions[i] === 'allow').map(name => ({ name })), more: false, complete: true }
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
      settle(whoCan(form.action, resource.list)),
      settle(whatCan(form.subject, Object.keys(moduleDef.actions), resource.list)),
      settle(whichCan(form.subject, form.action, form.module))
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
            <${SearchList} outcome=${result.who} render=${r => r.id} list="who" />
          </div>
          <div>
            <h3>${t('explain.whatCan', { subject: result.asked.subject })}</h3>
            <${SearchList} outcome=${result.what} render=${r => r.name} list="what" />
          </div>
          <div>
            <h3>${t('explain.whichCan', { subject: result.asked.subject, action: result.asked.action, module: result.asked.module })}</h3>
            <${SearchList} outcome=${result.which} render=${r => `${r.type}/${r.id}`} list="which" />
          </div>
        </section>`}`
}

function SearchList ({ outcome, render, list }) {
  if (outcome.error !== undefined) return html`<${ErrorBox} error=${outcome.error} />`
  const { results, more, complete, partial, pages } = outcome.value
  return html`<div data-list=${list}>
    ${results.length === 0 ? html`<p>${t('explain.nobody')}</p>` : html`<ul class="chips">${results.map(r => html`<li>${render(r)}</li>`)}</ul>`}
    ${more ? html`<p class="msg">${t('explain.more', { count: SHOWN })}</p>` : null}
    ${complete ? null : html`<p class="msg error" data-partial>${t(partial, { count: pages * 1000 })}</p>`}
  </div>`
}
