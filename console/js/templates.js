// Templates and import: replace the tenant's policy by a shipped template, or by an
// uploaded bundle, each time after seeing what it would change (`policy/diff`) or, for
// a bundle that does not load, every problem with its path and line.
import { useEffect, useState } from 'preact/hooks'
import { api, tenantPath } from './api.js'
import { ErrorBox, Impact, Notice } from './components.js'
import { html } from './html.js'
import { t } from './i18n.js'

export function TemplatesPage () {
  const [templates, setTemplates] = useState([])
  const [preview, setPreview] = useState(null)
  const [text, setText] = useState('')
  const [fileName, setFileName] = useState('')
  const [error, setError] = useState(null)
  const [notice, setNotice] = useState(null)
  const [busy, setBusy] = useState(false)

  useEffect(() => { api('GET', '/v1/templates').then(({ data }) => setTemplates(data), setError) }, [])

  const run = async fn => {
    setBusy(true)
    setError(null)
    setNotice(null)
    try {
      await fn()
    } catch (err) {
      setError(err)
      setPreview(null)
    } finally {
      setBusy(false)
    }
  }
  const previewTemplate = name => run(async () => {
    const { data: bundle } = await api('GET', `/v1/templates/${encodeURIComponent(name)}`)
    const { data, revision } = await api('POST', tenantPath('/policy/diff'), { body: { bundle } })
    setPreview({ kind: 'template', name, diff: data, revision })
  })
  const checkBundle = () => run(async () => {
    // YAML is a superset of JSON: one media type reads both, and issues come with lines.
    const { data, revision } = await api('POST', tenantPath('/policy/diff'), { yaml: text })
    setPreview({ kind: 'bundle', name: fileName, diff: data, revision })
  })
  const apply = () => run(async () => {
    const res = preview.kind === 'template'
      ? await api('PUT', tenantPath(`/policy?template=${encodeURIComponent(preview.name)}`), { ifMatch: preview.revision })
      : await api('PUT', tenantPath('/policy'), { yaml: text, ifMatch: preview.revision })
    setPreview(null)
    setNotice(t('templates.applied', { revision: res.revision }))
  })
  const onFile = async e => {
    const file = e.currentTarget.files?.[0]
    if (file === undefined) return
    setFileName(file.name)
    setText(await file.text())
    setPreview(null)
  }

  return html`<h1>${t('templates.title')}</h1>
    <${Notice} text=${notice} />
    <section aria-labelledby="tpl-h">
      <h2 id="tpl-h">${t('templates.shipped')}</h2>
      <ul class="templates">${templates.map(tpl => html`<li>
        <h3>${tpl.name}</h3>
        <p>${tpl.description}</p>
        <p class="hint">${t('templates.roles')}: ${tpl.roles.join(', ')}</p>
        <button type="button" disabled=${busy} onClick=${() => previewTemplate(tpl.name)}>${t('templates.preview')}</button>
      </li>`)}</ul>
    </section>
    <section aria-labelledby="imp-h">
      <h2 id="imp-h">${t('templates.import')}</h2>
      <p class="hint">${t('templates.importHint')}</p>
      <label for="bundle-file">${t('templates.file')}</label>
      <input id="bundle-file" type="file" accept=".yaml,.yml,.json,application/yaml,application/json" onChange=${onFile} />
      <label for="bundle-text">${t('templates.text')}</label>
      <textarea id="bundle-text" rows="10" spellcheck="false" value=${text} onInput=${e => { setText(e.currentTarget.value); setPreview(null) }}></textarea>
      <div class="row"><button type="button" disabled=${busy || text.trim() === ''} onClick=${checkBundle}>${t('templates.check')}</button></div>
    </section>
    <${ErrorBox} error=${error} />
    ${preview === null
      ? null
      : html`<div class="review">
          <p><strong>${preview.kind === 'template' ? t('templates.previewOf', { name: preview.name }) : t('templates.bundleOk')}</strong></p>
          <${Impact} diff=${preview.diff} />
          <div class="row">
            <button type="button" class="primary" disabled=${busy} onClick=${apply}>${t('templates.apply', { revision: preview.revision })}</button>
            <button type="button" onClick=${() => setPreview(null)}>${t('roles.back')}</button>
          </div>
        </div>`}`
}
