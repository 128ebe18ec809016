/**
 * src/service/templates.ts `shippedTemplates`: the templates the API serves are read and
 * parsed once per process (`GET /v1/templates` is open to any key, and reading and
 * parsing them on every call held the event loop tens of milliseconds), and what every
 * tenant shares cannot be changed by one of them.
 */
import t from 'tap'
import { parse } from 'yaml'
import { loadTemplate, shippedTemplates, templateNames } from '../../src/service/templates.js'

t.test('read and parsed once, then served from memory', async t => {
  const first = shippedTemplates()
  t.equal(shippedTemplates(), first, 'the same catalog on every call')
  t.same([...first.keys()], templateNames(), 'every shipped template, in name order')
  for (const [name, template] of first) {
    const file = loadTemplate(name)
    t.equal(template.text, file?.text, `${name}: the text as shipped`)
    t.same(template.bundle, parse(file?.text ?? ''), `${name}: the parsed bundle`)
    t.equal(template.json, `${JSON.stringify(parse(file?.text ?? ''), null, 2)}\n`, `${name}: its JSON`)
    t.same(template.modules, Object.keys((template.bundle as { modules: object }).modules), `${name}: its modules, in order`)
  }
})

t.test('the shared bundles are frozen all the way down', async t => {
  const [name, template] = [...shippedTemplates()][0] ?? []
  t.ok(template !== undefined, 'there is a template')
  if (template === undefined) return
  const bundle = template.bundle as { modules: Record<string, { actions: Record<string, unknown> }> }
  const module = Object.values(bundle.modules)[0]
  t.ok(Object.isFrozen(bundle) && Object.isFrozen(bundle.modules) && Object.isFrozen(module?.actions), `${String(name)}: frozen`)
  t.throws(() => { (bundle as Record<string, unknown>).version = 2 }, TypeError, 'a write throws instead of changing every tenant\'s import')
})
