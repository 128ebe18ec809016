/**
 * The inputs of a policy diff: bundle texts and subjects documents, validated with every
 * problem located by file, JSON pointer, line and column.
 */
import t from 'tap'
import type { CompiledPolicy } from '../../src/engine/index.js'
import { compileBundle } from '../../src/engine/index.js'
import { loadBundleText, loadSubjectsText, loadSubjectsValue } from '../../src/service/policy-diff/index.js'

function compile (bundle: unknown): CompiledPolicy {
  const compiled = compileBundle(bundle)
  if (!compiled.ok) throw new Error(JSON.stringify(compiled.issues))
  return compiled.policy
}

const jobs = { relations: ['assignee'], actions: { view: { level: 'limited' }, edit: { level: 'management' } } }
const before = compile({ version: 1, flags: { old_flag: 'x' }, modules: { jobs }, roles: { employee: {}, manager: {} } })
const after = compile({ version: 1, flags: { new_flag: 'y' }, modules: { jobs, quotes: jobs }, roles: { manager: {}, dispatcher: {} } })
const both = [before, after]

/** The 1-based column where `needle` starts in `line`. */
function columnOf (line: string | undefined, needle: string): number {
  const at = (line ?? '').indexOf(needle)
  if (at < 0) throw new Error(`\`${needle}\` is not in \`${line ?? ''}\``)
  return at + 1
}

t.test('bundle texts', async t => {
  await t.test('a valid YAML or JSON bundle compiles', async t => {
    const yaml = loadBundleText('version: 1\nmodules:\n  jobs:\n    actions: { view: { level: limited } }\nroles: {}\n', 'b.yaml')
    t.equal(yaml.ok, true)
    const json = loadBundleText(JSON.stringify({ version: 1, modules: { jobs }, roles: {} }), 'b.json')
    t.equal(json.ok, true)
  })

  await t.test('a bundle problem is located at its line and column', async t => {
    const text = 'version: 1\nmodules:\n  jobs:\n    actions:\n      view: { level: limted }\nroles:\n  manager:\n    modules: { jobs: { access: all, deyn: [view] } }\n'
    const loaded = loadBundleText(text, 'bad.yaml')
    t.equal(loaded.ok, false)
    if (loaded.ok) return
    const lines = text.split('\n')
    t.match(loaded.issues, [
      { file: 'bad.yaml', line: 5, column: columnOf(lines[4], 'limted'), path: '/modules/jobs/actions/view/level', code: 'invalid_level', message: /`limted`/ },
      { file: 'bad.yaml', line: 8, column: columnOf(lines[7], 'deyn'), path: '/roles/manager/modules/jobs/deyn', code: 'unknown_property', message: /`deyn`/ }
    ], 'a bad value is shown at the value, an unknown key at the key')
  })

  await t.test('a syntax error is one located issue', async t => {
    const loaded = loadBundleText('version: 1\nmodules: {\n  jobs: [\n', 'broken.yaml')
    t.equal(loaded.ok, false)
    if (loaded.ok) return
    t.ok(loaded.issues.length > 0)
    t.match(loaded.issues[0], { file: 'broken.yaml', code: 'syntax_error', line: Number, column: Number, message: /^invalid yaml: / })
  })

  await t.test('duplicate keys are refused, not silently merged', async t => {
    const loaded = loadBundleText('version: 1\nmodules: {}\nroles: {}\nroles: {}\n', 'dup.yaml')
    t.equal(loaded.ok, false)
    if (loaded.ok) return
    t.match(loaded.issues[0], { code: 'syntax_error', line: 4 })
  })
})

t.test('subjects documents', async t => {
  await t.test('the suite form: a map of id to subject, other suite keys ignored, roles optional', async t => {
    const text = 'name: my suite\nbundle: b.yaml\ncases: []\nsubjects:\n  marie: { roles: [employee] }\n  olga: { projects: { s1: [dispatcher] } }\n'
    const loaded = loadSubjectsText(text, 's.yaml', both)
    t.same(loaded, {
      ok: true,
      subjects: [{ roles: ['employee'], id: 'marie' }, { roles: [], projects: { s1: ['dispatcher'] }, id: 'olga' }]
    }, 'a role only one policy declares is accepted')
  })

  await t.test('the list forms: `subjects: [...]` and a bare list, each subject with its id', async t => {
    const one = loadSubjectsValue({ subjects: [{ id: 'a', roles: ['manager'] }] }, 'body', both)
    const two = loadSubjectsValue([{ id: 'a', roles: ['manager'] }], 'body', both)
    t.same(one, { ok: true, subjects: [{ roles: ['manager'], id: 'a' }] })
    t.same(two, one)
  })

  await t.test('names neither policy declares, bad shapes and duplicates are all reported, located', async t => {
    const text = [
      'subjects:',
      '  marie:',
      '    roles: [employe]',
      '    overrides: { flags: { old_flag: true, no_flag: true }, modules: { invoices: { allow: [view] } } }',
      '  paul: { roles: [manager], status: away, colour: blue }',
      '  ines: { id: ines, roles: [] }',
      'extra: 1',
      ''
    ].join('\n')
    const loaded = loadSubjectsText(text, 'subjects.yaml', both)
    t.equal(loaded.ok, false)
    if (loaded.ok) return
    const lines = text.split('\n')
    t.match(loaded.issues, [
      { line: 3, column: columnOf(lines[2], 'employe'), path: '/subjects/marie/roles/0', code: 'unknown_role', message: 'subject `marie`: unknown role `employe`' },
      { line: 4, column: columnOf(lines[3], 'true }'), path: '/subjects/marie/overrides/flags/no_flag', code: 'unknown_flag', message: /`no_flag`/ },
      { line: 4, column: columnOf(lines[3], 'invoices'), path: '/subjects/marie/overrides/modules/invoices', code: 'unknown_module', message: /`invoices`/ },
      { line: 5, column: columnOf(lines[4], 'away'), path: '/subjects/paul/status', code: 'invalid_value', message: /`away`/ },
      { line: 5, column: columnOf(lines[4], 'colour'), path: '/subjects/paul/colour', code: 'unknown_property', message: /`colour`/ },
      { line: 6, column: columnOf(lines[5], 'id:'), path: '/subjects/ines/id', code: 'unknown_property' },
      { line: 7, column: 1, path: '/extra', code: 'unknown_property', message: /`extra`/ }
    ], 'in reading order')
    t.equal(loaded.issues.length, 7, '`old_flag` is declared by the old policy: no issue')
    for (const issue of loaded.issues) t.equal(issue.file, 'subjects.yaml')
  })

  await t.test('list entries need a unique, non-empty id', async t => {
    const loaded = loadSubjectsValue([{ id: 'a', roles: [] }, { roles: [] }, { id: '', roles: [] }, { id: 'a', roles: ['manager'] }, 'b'], 'body', both)
    t.equal(loaded.ok, false)
    if (loaded.ok) return
    t.same(loaded.issues.map(i => [i.path, i.code]), [
      ['/1/id', 'missing_property'],
      ['/2/id', 'invalid_type'],
      ['/3/id', 'duplicate_subject'],
      ['/4', 'invalid_type']
    ])
    t.notOk('line' in (loaded.issues[0] ?? {}), 'a parsed value has no lines')
  })

  await t.test('a document that is not an object or a list, or lacks `subjects`', async t => {
    for (const [value, code] of [[42, 'invalid_type'], [{}, 'missing_property'], [{ subjects: 'marie' }, 'invalid_type'], [{ subjects: { x: [] } }, 'invalid_type'], [{ subjects: { '': { roles: [] } } }, 'invalid_value']] as const) {
      const loaded = loadSubjectsValue(value, 'body', both)
      t.equal(loaded.ok, false)
      if (!loaded.ok) t.equal(loaded.issues[0]?.code, code, JSON.stringify(value))
    }
  })
})
