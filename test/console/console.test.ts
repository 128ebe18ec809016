/**
 * The admin console in a real headless Chromium (Debian's, through playwright-core)
 * against a real server on a real port and one database of the shared harness: each
 * page is driven as a user would, its effect checked through the API, and a screenshot
 * taken of it. `GATEHOUSE_SCREENSHOTS=1` keeps them in docs/console/ (shown in the README);
 * otherwise they go to a temporary folder, so that a test run leaves the tree as it was.
 */
import type { AddressInfo } from 'node:net'
import { existsSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { chromium } from 'playwright-core'
import type { Browser, Page } from 'playwright-core'
import t from 'tap'
import { buildTestApp, call, setupTenant } from '../helpers/build-app.js'
import { backends } from '../helpers/db.js'

const CHROMIUM = '/usr/bin/chromium'
const SHOTS = process.env.GATEHOUSE_SCREENSHOTS === '1'
  ? join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'docs', 'console')
  : mkdtempSync(join(tmpdir(), 'gatehouse-console-'))

if (!existsSync(CHROMIUM)) {
  // CI installs it (.ci/run); a developer machine without it says so instead of failing.
  t.plan(0, `no ${CHROMIUM}: apt-get install -y chromium`)
  process.exit(0)
}

// About 50 s alone (a database, a browser, a dozen pages); more beside the rest of `npm test`
// on two cores: a wider limit than .taprc's 120 s, told to the runner.
t.setTimeout(300_000)

const harness = (await backends()).find(h => h.skip === false)
if (harness === undefined) throw new Error('no database backend available')

// One subtest holds the whole run: the root test would end in a pause between assertions.
await t.test(`the console on ${harness.name}`, async t => {
  const backend = await harness.open()
  t.teardown(() => backend.close())
  const { app, rootKey } = await buildTestApp(t, backend.store)

  const tenant = `console-${harness.name}`
  const { adminKey, checkKey, fullKey } = await setupTenant(t, app, rootKey, {
    tenant,
    subjects: {},
    resources: {}
  })
  const template = await call(app, 'PUT', `/v1/tenants/${tenant}/policy?template=service-company`, { key: adminKey })
  t.equal(template.statusCode, 200, 'the service-company template is the policy')
  const subjects: Record<string, unknown> = {
    marie: { roles: ['employee'], groups: ['crew-a'] },
    theo: { roles: ['employee'], groups: ['crew-b'] },
    paul: { roles: ['manager'] },
    sophie: { roles: ['sales_rep'] },
    alice: { roles: ['administrator'] },
    ines: { roles: ['employee'], status: 'inactive' }
  }
  for (const [id, subject] of Object.entries(subjects)) {
    const res = await call(app, 'PUT', `/v1/tenants/${tenant}/subjects/${id}`, { key: adminKey, body: subject as Record<string, unknown> })
    t.equal(res.statusCode, 201, `subject ${id}`)
  }
  const job = await call(app, 'PUT', `/v1/tenants/${tenant}/resources/jobs/j1`, { key: adminKey, body: { visit_assignee: ['marie'], responsible: ['paul'] } })
  t.equal(job.statusCode, 201, 'job j1 stored')

  await app.listen({ port: 0, host: '127.0.0.1' })
  const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`

  const browser: Browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-dev-shm-usage'] })
  t.teardown(() => browser.close())
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'en-US' })
  const page: Page = await context.newPage()
  const pageErrors: string[] = []
  page.on('pageerror', err => pageErrors.push(err.message))
  // Refusals the tests provoke (412, 400) are logged by the browser as failed loads: not script errors.
  page.on('console', msg => { if (msg.type() === 'error' && !msg.text().startsWith('Failed to load resource')) pageErrors.push(msg.text()) })

  const shot = async (p: Page, name: string): Promise<void> => {
    await p.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true })
  }

  async function explain (p: Page, subject: string, action: string, resourceId: string): Promise<{ decision: string | null, reason: string | null }> {
    await p.goto(`${base}/console/#/explain`)
    await p.locator('#ex-subject').fill(subject)
    await p.locator('#ex-module').selectOption('jobs')
    await p.locator('#ex-action').selectOption(action)
    await p.locator('#ex-id').fill(resourceId)
    await p.getByRole('button', { name: 'Explain', exact: true }).click()
    const heading = p.locator('.decision h2')
    await heading.waitFor()
    return { decision: await heading.getAttribute('data-decision'), reason: await p.locator('.reason [data-reason]').getAttribute('data-reason') }
  }

  await t.test('the page is served with its modules and a strict content security policy', async t => {
    const res = await fetch(`${base}/console/`)
    t.equal(res.status, 200)
    t.match(res.headers.get('content-security-policy'), /script-src 'self' 'sha256-/)
    const bare = await fetch(`${base}/console`, { redirect: 'manual' })
    t.equal(bare.status, 301, '/console redirects')
    t.equal(bare.headers.get('location'), '/console/')
    t.equal((await fetch(`${base}/console/vendor/preact.mjs`)).status, 200)
    t.equal((await fetch(`${base}/console/vendor/package.json`)).status, 404, 'only the three modules of node_modules are served')
  })

  await t.test('signing in keeps the key in session storage, never in the URL', async t => {
    await page.goto(`${base}/console/`)
    await page.locator('#tenant').fill(tenant)
    await page.locator('#key').fill(fullKey)
    await page.getByRole('button', { name: 'Sign in' }).click()
    await page.locator('table.matrix').waitFor()
    t.notOk(page.url().includes(fullKey), 'the key is not in the URL')
    t.equal(await page.evaluate("sessionStorage.getItem('gatehouse.console.key')"), fullKey)
  })

  await t.test('editing a role cell shows its impact, saves it, and changes the decision Explain gives', async t => {
    const before = await explain(page, 'marie', 'edit', 'j1')
    t.same(before, { decision: 'deny', reason: 'level_insufficient' }, 'an employee may not edit a job')
    await shot(page, 'explain-before')

    await page.goto(`${base}/console/#/roles`)
    await page.getByRole('button', { name: 'Edit employee on jobs' }).click()
    await page.locator('#g-employee-jobs-level').selectOption('management')
    await page.getByRole('button', { name: 'Done' }).click()
    t.ok(await page.locator('td.cell.changed[data-role="employee"][data-module="jobs"]').isVisible(), 'the edited cell is marked')
    await page.getByRole('button', { name: 'Review impact' }).click()
    const impact = page.locator('.users-impact')
    await impact.waitFor()
    const text = await impact.innerText()
    t.match(text, /marie[\s\S]*jobs\.edit/, 'marie gains jobs.edit')
    t.notMatch(text, /paul/, 'the manager gains nothing')
    await shot(page, 'roles-impact')
    await page.getByRole('button', { name: /^Save/ }).click()
    await page.locator('.msg.ok').waitFor()

    const role = await call(app, 'GET', `/v1/tenants/${tenant}/roles/employee`, { key: adminKey })
    t.equal(role.json().modules.jobs.level, 'management', 'the role was written')
    const after = await explain(page, 'marie', 'edit', 'j1')
    t.same(after, { decision: 'allow', reason: 'role_grant' }, 'now she may')
    const who = await page.locator('.search').innerText()
    t.match(who, /marie/, 'who can: marie is listed')
    await shot(page, 'explain')
  })

  await t.test('a stale edit gets the conflict message and overwrites nothing', async t => {
    const otherWrite = async (level: string): Promise<void> => {
      const res = await call(app, 'PUT', `/v1/tenants/${tenant}/roles/sales_rep`, {
        key: adminKey, body: { flags: ['manage_prices'], modules: { quotes: { access: 'all', level } } }
      })
      t.equal(res.statusCode, 200, 'someone else edits another role')
    }
    const editManagerTasks = async (): Promise<void> => {
      await page.getByRole('button', { name: 'Edit manager on tasks' }).click()
      await page.locator('#g-manager-tasks-level').selectOption('full')
      await page.keyboard.press('Escape')
      // A function, not a string: the page's CSP forbids eval, which a string predicate needs when it polls.
      const focused = await page.waitForFunction(label => (globalThis as unknown as { document: { activeElement: { getAttribute (name: string): string | null } | null } })
        .document.activeElement?.getAttribute('aria-label') === label, 'Edit manager on tasks', { timeout: 5000 }).then(() => true, () => false)
      t.ok(focused, 'Escape closes the editor and gives the focus back to its cell')
    }
    const conflict = page.locator('.msg.conflict')

    // Their write lands between loading the matrix and reviewing the edit.
    await page.goto(`${base}/console/#/roles`)
    await page.locator('table.matrix').waitFor()
    await otherWrite('full')
    await editManagerTasks()
    await page.getByRole('button', { name: 'Review impact' }).click()
    await conflict.waitFor()
    t.equal(await page.locator('.review').count(), 0, 'no impact is shown against a policy that moved')
    await page.getByRole('button', { name: 'Reload' }).click()
    await conflict.waitFor({ state: 'detached' })

    // Their write lands between the review and the save: If-Match refuses the write.
    await editManagerTasks()
    await page.getByRole('button', { name: 'Review impact' }).click()
    await page.locator('.review').waitFor()
    await otherWrite('management')
    await page.getByRole('button', { name: /^Save/ }).click()
    await conflict.waitFor()
    t.match(await conflict.innerText(), /Someone else changed this tenant/)
    const manager = await call(app, 'GET', `/v1/tenants/${tenant}/roles/manager`, { key: adminKey })
    t.equal(manager.json().modules.tasks.level, 'management', 'nothing was written')
    await shot(page, 'roles-conflict')
    await page.getByRole('button', { name: 'Reload' }).click()
    await conflict.waitFor({ state: 'detached' })
    await page.getByRole('button', { name: 'Edit employee on jobs' }).click()
    await shot(page, 'roles')
  })

  await t.test('an override created on a user\'s page is marked custom in the effective permissions', async t => {
    await page.goto(`${base}/console/#/users`)
    await page.locator('table.list').waitFor()
    await page.locator('#f-role').selectOption('employee')
    await page.getByRole('button', { name: 'Filter' }).click()
    await page.locator('table.list a', { hasText: 'ines' }).waitFor()
    t.equal(await page.locator('table.list a', { hasText: 'paul' }).count(), 0, 'the role filter applies')
    await shot(page, 'users')

    await page.locator('table.list a', { hasText: 'theo' }).click()
    await page.getByRole('button', { name: 'Edit the custom permissions on jobs' }).click()
    const editor = page.locator('tr[data-module="jobs"] .grant-editor')
    await editor.locator('fieldset', { hasText: 'Also allow' }).getByLabel('create', { exact: true }).check()
    await page.getByRole('button', { name: 'Save custom permissions' }).click()
    await page.locator('.msg.ok').waitFor()

    const stored = await call(app, 'GET', `/v1/tenants/${tenant}/subjects/theo/overrides`, { key: adminKey })
    t.same(stored.json().modules?.jobs?.allow, ['create'], 'the override was written')
    const chip = page.locator('.permissions tr[data-module="jobs"] li[data-action="create"]')
    t.match(await chip.getAttribute('class'), /custom/, 'jobs.create is marked custom')
    t.match(await chip.innerText(), /custom/)
    const view = page.locator('.permissions tr[data-module="jobs"] li[data-action="view"]')
    t.notMatch(await view.getAttribute('class'), /custom/, 'what the roles give is not')
    await shot(page, 'user')
  })

  await t.test('with an admin-only key, Explain\'s who can, what can and which resources are what the AuthZEN searches answer', async t => {
    // More stored jobs than j1, so that "which resources" has some to leave out.
    const jobs: Record<string, Record<string, unknown>> = {
      j2: { visit_assignee: ['theo'] },
      j3: { visit_assignee: ['group:crew-b'] },
      j4: { responsible: ['paul'] },
      j5: {}
    }
    for (const [id, body] of Object.entries(jobs)) {
      t.equal((await call(app, 'PUT', `/v1/tenants/${tenant}/resources/jobs/${id}`, { key: adminKey, body })).statusCode, 201, `job ${id} stored`)
    }
    const storedJobs = 1 + Object.keys(jobs).length
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'en-US' })
    t.teardown(() => ctx.close())
    const p = await ctx.newPage()
    p.on('pageerror', err => pageErrors.push(err.message))
    await p.goto(`${base}/console/`)
    await p.locator('#tenant').fill(tenant)
    await p.locator('#key').fill(adminKey)
    await p.getByRole('button', { name: 'Sign in' }).click()
    await p.locator('table.matrix').waitFor()

    const items = async (list: string): Promise<string[]> => {
      const box = p.locator(`[data-list="${list}"]`)
      await box.waitFor()
      return await box.locator('li').allInnerTexts()
    }
    const search = async (kind: string, body: Record<string, unknown>): Promise<Array<Record<string, string>>> => {
      const res = await call(app, 'POST', `/access/v1/search/${kind}`, { key: checkKey, body })
      t.equal(res.statusCode, 200, `search/${kind} answers the check key`)
      t.equal(res.json().page.next_token, '', 'in one page')
      return res.json().results
    }
    const ask = async (subject: string, action: string, resource: { id?: string, typed?: boolean, visit_assignee?: string }): Promise<void> => {
      await p.goto(`${base}/console/#/explain`)
      await p.locator('#ex-subject').fill(subject)
      await p.locator('#ex-module').selectOption('jobs')
      await p.locator('#ex-action').selectOption(action)
      if (resource.typed === true) await p.locator('input[name="mode"][value="typed"]').check()
      if (resource.visit_assignee !== undefined) await p.locator('#ex-rel-visit_assignee').fill(resource.visit_assignee)
      await p.locator('#ex-id').fill(resource.id ?? '')
      await p.getByRole('button', { name: 'Explain', exact: true }).click()
      await p.locator('.decision h2').waitFor()
    }

    const asked = [
      { subject: 'marie', action: 'edit', resource: { id: 'j1' }, authzen: { type: 'jobs', id: 'j1' } },
      { subject: 'theo', action: 'view', resource: { id: 'j1' }, authzen: { type: 'jobs', id: 'j1' } },
      // Typed in: an id with no properties, then a relation naming a group.
      { subject: 'theo', action: 'create', resource: { id: 'j-none', typed: true }, authzen: { type: 'jobs', id: 'j-none', properties: {} } },
      {
        subject: 'theo',
        action: 'view',
        resource: { typed: true, visit_assignee: 'group:crew-b' },
        authzen: { type: 'jobs', id: 'console-typed', properties: { visit_assignee: ['group:crew-b'] } }
      }
    ]
    let listed = 0
    let filtered = 0
    for (const { subject, action, resource, authzen } of asked) {
      await ask(subject, action, resource)
      const label = `${subject} ${action} ${JSON.stringify(resource)}`
      const who = await search('subject', { subject: { type: 'user' }, action: { name: action }, resource: authzen })
      t.same(await items('who'), who.map(r => r.id), `who can: ${label}`)
      const what = await search('action', { subject: { type: 'user', id: subject }, resource: authzen })
      t.same(await items('what'), what.map(r => r.name), `what can: ${label}`)
      const which = await search('resource', { subject: { type: 'user', id: subject }, action: { name: action }, resource: { type: 'jobs' } })
      t.same(await items('which'), which.map(r => `${r.type}/${r.id}`), `which resources: ${label}`)
      if (which.length > 0 && which.length < storedJobs) filtered++
      listed += who.length + what.length + which.length
    }
    t.equal(await p.locator('[data-partial]').count(), 0, 'no list says it was cut')
    t.ok(listed > 8, `the lists compared are not empty (${listed} items)`)
    t.ok(filtered > 0, 'which resources left some stored jobs out and kept others')
  })

  await t.test('a bad bundle shows its problems by path and line, and writes nothing', async t => {
    const revision = (await call(app, 'GET', `/v1/tenants/${tenant}`, { key: rootKey })).json().revision as number
    const bad = [
      'version: 1',
      'modules:',
      '  jobs:',
      '    actions:',
      '      view: { level: limited }',
      'roles:',
      '  crew:',
      '    modules:',
      '      jobs: { access: all, level: sometimes }',
      '      trucks: { access: all }',
      ''
    ].join('\n')
    const expected = await call(app, 'POST', `/v1/tenants/${tenant}/policy/diff`, { key: adminKey, body: bad, headers: { 'content-type': 'application/yaml' } })
    t.equal(expected.statusCode, 400)
    const details = expected.json().details as Array<{ path: string, line?: number }>
    t.ok(details.length > 0 && details.every(d => typeof d.line === 'number'), 'the API locates every problem')

    await page.goto(`${base}/console/#/templates`)
    await page.locator('ul.templates li').first().waitFor()
    await page.locator('#bundle-text').fill(bad)
    await page.getByRole('button', { name: 'Check' }).click()
    const problems = page.locator('.msg.error .problems li')
    await problems.first().waitFor()
    t.equal(await problems.count(), details.length, 'one line per problem')
    const shown = await page.locator('.msg.error').innerText()
    for (const d of details) {
      t.ok(shown.includes(d.path), `problem at ${d.path} is shown`)
      t.ok(shown.includes(`line ${String(d.line)}`), `with its line ${String(d.line)}`)
    }
    t.equal(await page.getByRole('button', { name: /^Apply/ }).count(), 0, 'nothing to apply')
    t.equal((await call(app, 'GET', `/v1/tenants/${tenant}`, { key: rootKey })).json().revision, revision, 'nothing was written')
    await shot(page, 'import-problems')
  })

  await t.test('a shipped template shows its impact before it is applied', async t => {
    const revision = (await call(app, 'GET', `/v1/tenants/${tenant}`, { key: rootKey })).json().revision as number
    await page.locator('ul.templates li', { hasText: 'field-crew' }).getByRole('button', { name: 'See the impact' }).click()
    const review = page.locator('.review')
    await review.waitFor()
    t.match(await review.innerText(), /Replacing the policy by the template field-crew/)
    t.match(await review.locator('.impact').innerText(), /Users who gain or lose[\s\S]*marie/, 'the stored users it changes are named')
    await review.getByRole('button', { name: 'Back' }).click()
    await review.waitFor({ state: 'detached' })
    t.equal((await call(app, 'GET', `/v1/tenants/${tenant}`, { key: rootKey })).json().revision, revision, 'nothing was written')
  })

  await t.test('a valid bundle shows its impact before it is applied', async t => {
    const policy = (await call(app, 'GET', `/v1/tenants/${tenant}/policy`, { key: adminKey })).json()
    policy.roles.employee.modules.visits = { access: 'all', level: 'limited' }
    await page.locator('#bundle-text').fill(JSON.stringify(policy, null, 2))
    await page.getByRole('button', { name: 'Check' }).click()
    await page.locator('.review .impact').waitFor()
    t.match(await page.locator('.review .impact').innerText(), /employee · visits\.view/)
    await page.getByRole('button', { name: /^Apply/ }).click()
    await page.locator('.msg.ok').waitFor()
    const role = await call(app, 'GET', `/v1/tenants/${tenant}/roles/employee`, { key: adminKey })
    t.equal(role.json().modules.visits.access, 'all', 'the bundle was applied')
    await page.evaluate('window.scrollTo(0, 0)')
    await shot(page, 'templates')
  })

  await t.test('the audit log shows each write as a before/after diff', async t => {
    await page.goto(`${base}/console/#/audit`)
    await page.locator('#a-type').selectOption('role')
    await page.locator('#a-id').fill('employee')
    await page.getByRole('button', { name: 'Filter' }).click()
    const entry = page.locator('ol.audit button.entry').first()
    await entry.waitFor()
    await entry.click()
    const diff = page.locator('table.jsondiff').first()
    await diff.waitFor()
    const text = await diff.innerText()
    t.match(text, /\/modules\/jobs\/level/, 'the changed path')
    t.match(text, /limited[\s\S]*management/, 'before and after')

    // The whole log, that entry open, for the screenshot.
    await page.locator('#a-type').selectOption('')
    await page.locator('#a-id').fill('')
    await page.getByRole('button', { name: 'Filter' }).click()
    await page.locator('ol.audit table.jsondiff').waitFor({ state: 'detached' })
    const entries = page.locator('ol.audit button.entry')
    t.ok(await entries.count() > 10, 'unfiltered, every write is listed')
    await entries.filter({ hasText: 'role employee' }).first().click()
    await page.locator('ol.audit table.jsondiff').waitFor()
    await shot(page, 'audit')
  })

  await t.test('French, from the browser language, readable at 390 px', async t => {
    const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, locale: 'fr-FR', deviceScaleFactor: 1 })
    const p = await phone.newPage()
    await p.goto(`${base}/console/`)
    t.equal(await p.getByRole('button', { name: 'Se connecter' }).count(), 1, 'the sign-in is in French')
    await p.locator('#tenant').fill(tenant)
    await p.locator('#key').fill(adminKey)
    await p.getByRole('button', { name: 'Se connecter' }).click()
    await p.locator('table.matrix').waitFor()
    t.match(await p.locator('h1').innerText(), /Rôles/)
    t.match(await p.locator('td[data-role="manager"][data-module="jobs"]').innerText(), /Tout · Complet/)
    const width = await p.evaluate<number>('document.documentElement.scrollWidth')
    t.ok(width <= 390, `the page itself does not scroll sideways (${width} px); the matrix scrolls inside its frame`)
    await p.screenshot({ path: join(SHOTS, 'roles-fr-390.png') })
    await p.goto(`${base}/console/#/users/theo`)
    await p.locator('.permissions li.custom').first().waitFor()
    t.match(await p.locator('.permissions li.custom').first().innerText(), /personnalisé/, 'custom is said in French')
    const userWidth = await p.evaluate<number>('document.documentElement.scrollWidth')
    t.ok(userWidth <= 390, `a user's page fits in 390 px (${userWidth} px)`)
    await p.screenshot({ path: join(SHOTS, 'user-fr-390.png'), fullPage: true })
    await p.getByRole('button', { name: 'EN', exact: true }).click()
    t.match(await p.locator('#ov-h').innerText(), /Custom permissions/, 'the switch changes the language')
    await phone.close()
  })

  await t.test('a fixed role says so, and its cells and flags cannot be edited (the API refuses them)', async t => {
    const policy = await call(app, 'GET', `/v1/tenants/${tenant}/policy`, { key: adminKey })
    const bundle = policy.json()
    bundle.roles.observer = { fixed: true, modules: { jobs: { access: 'all', level: 'limited' } } }
    t.equal((await call(app, 'PUT', `/v1/tenants/${tenant}/policy`, { key: adminKey, body: bundle })).statusCode, 200, 'a fixed role, imported with the whole bundle')
    t.equal((await call(app, 'PUT', `/v1/tenants/${tenant}/roles/observer`, { key: adminKey, body: { fixed: true } })).statusCode, 409, 'the API refuses to edit it')
    await page.goto(`${base}/console/#/roles`)
    await page.locator('table.matrix').waitFor()
    t.equal(await page.locator('th[data-role="observer"] .badge.fixed').innerText(), 'fixed', 'its column says it is fixed')
    t.match(await page.locator('td[data-role="observer"][data-module="jobs"]').innerText(), /All · Limited/, 'its grant is shown')
    t.equal(await page.getByRole('button', { name: 'Edit observer on jobs' }).count(), 0, 'no cell of it opens an editor')
    t.equal(await page.getByRole('button', { name: 'Edit employee on jobs' }).count(), 1, 'other roles stay editable')
    const flagBoxes = page.locator('th[data-role="observer"] input[type="checkbox"]')
    const boxes = await flagBoxes.count()
    t.ok(boxes > 0, 'its flags are shown')
    for (let i = 0; i < boxes; i++) t.ok(await flagBoxes.nth(i).isDisabled(), `flag ${i + 1} of ${boxes} is read-only`)
  })

  t.same(pageErrors, [], 'no script error in the page')
})
