// The console's shell: sign-in with a pasted tenant key, navigation by hash route
// (`#/roles`, `#/users/<id>`...), the language switch. The key never enters a URL.
import { render } from 'preact'
import { useEffect, useState } from 'preact/hooks'
import { api, session, tenantPath } from './api.js'
import { ErrorBox } from './components.js'
import { html } from './html.js'
import { initialLanguage, LANGUAGES, setLanguage, t } from './i18n.js'
import { RolesPage } from './roles.js'
import { ExplainPage } from './explain.js'
import { UsersPage, UserPage } from './users.js'
import { AuditPage } from './audit.js'
import { TemplatesPage } from './templates.js'

const PAGES = [
  ['roles', 'nav.roles'],
  ['explain', 'nav.explain'],
  ['users', 'nav.users'],
  ['audit', 'nav.audit'],
  ['templates', 'nav.templates']
]

const routeOf = hash => {
  const parts = hash.replace(/^#\/?/, '').split('/').map(decodeURIComponent)
  return { page: parts[0] === '' ? 'roles' : parts[0], arg: parts.slice(1).join('/') }
}

function SignIn ({ onSignedIn }) {
  const [tenant, setTenant] = useState(session.tenant)
  const [key, setKey] = useState('')
  const [error, setError] = useState(null)
  const submit = async e => {
    e.preventDefault()
    setError(null)
    session.signIn(tenant.trim(), key.trim())
    try {
      await api('GET', tenantPath(''))
      onSignedIn()
    } catch (err) {
      session.signOut()
      setError(err)
    }
  }
  return html`<main class="signin">
    <h1>${t('signin.title')}</h1>
    <p>${t('signin.intro')}</p>
    <form onSubmit=${submit}>
      <label for="tenant">${t('signin.tenant')}</label>
      <input id="tenant" name="tenant" required autocomplete="off" value=${tenant} onInput=${e => setTenant(e.currentTarget.value)} />
      <label for="key">${t('signin.key')}</label>
      <input id="key" name="key" type="password" required autocomplete="off" value=${key} onInput=${e => setKey(e.currentTarget.value)} />
      <p class="hint">${t('signin.keyHint')}</p>
      <button type="submit">${t('signin.submit')}</button>
    </form>
    <${ErrorBox} error=${error} />
  </main>`
}

function App () {
  const [lang, setLang] = useState(initialLanguage())
  const [signedIn, setSignedIn] = useState(session.key !== '')
  const [route, setRoute] = useState(routeOf(location.hash))
  setLanguage(lang)
  useEffect(() => { document.documentElement.lang = lang }, [lang])
  useEffect(() => {
    const onHash = () => setRoute(routeOf(location.hash))
    addEventListener('hashchange', onHash)
    return () => removeEventListener('hashchange', onHash)
  }, [])
  const switcher = html`<div class="lang" role="group" aria-label=${t('lang.label')}>
    ${LANGUAGES.map(l => html`<button type="button" lang=${l} aria-pressed=${l === lang} onClick=${() => setLang(l)}>${l.toUpperCase()}</button>`)}
  </div>`
  if (!signedIn) return html`<div class="shell">${switcher}<${SignIn} onSignedIn=${() => setSignedIn(true)} /></div>`
  const { page, arg } = route
  let body
  if (page === 'roles') body = html`<${RolesPage} />`
  else if (page === 'explain') body = html`<${ExplainPage} />`
  else if (page === 'users' && arg !== '') body = html`<${UserPage} key=${arg} id=${arg} />`
  else if (page === 'users') body = html`<${UsersPage} />`
  else if (page === 'audit') body = html`<${AuditPage} />`
  else if (page === 'templates') body = html`<${TemplatesPage} />`
  else body = html`<p>${t('nav.unknown')}</p>`
  return html`<div class="shell">
    <a class="skip" href="#main" onClick=${e => { e.preventDefault(); document.getElementById('main')?.focus() }}>${t('nav.skip')}</a>
    <header>
      <span class="brand">gatehouse</span>
      <span class="tenant" title=${t('signin.tenant')}>${session.tenant}</span>
      <nav aria-label=${t('nav.label')}>
        ${PAGES.map(([name, label]) => html`<a href=${`#/${name}`} aria-current=${page === name ? 'page' : undefined}>${t(label)}</a>`)}
      </nav>
      ${switcher}
      <button type="button" class="signout" onClick=${() => { session.signOut(); setSignedIn(false) }}>${t('signin.out')}</button>
    </header>
    <main id="main" tabindex="-1">${body}</main>
  </div>`
}

const root = document.getElementById('app')
// The loading line is static HTML: Preact would keep it beside the app.
root.textContent = ''
render(html`<${App} />`, root)
