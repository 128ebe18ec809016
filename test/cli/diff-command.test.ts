/**
 * `gatehouse diff` end to end: the CLI spawned as a child
 * process (`runCli`: the CLI bundled from the sources; the first case of test-command.test.ts
 * and `--version` in main.test.ts run bin/gatehouse.js itself), as an ops
 * engineer or a CI job runs it, on bundles written to a temporary directory.
 */
import { readFileSync } from 'node:fs'
import t from 'tap'
import type { Test } from 'tap'
import { main } from '../../src/cli/main.js'
import { captureIo, runCli, STACK_LINE } from './helpers.js'

/** The crafted acceptance bundle: a manager whose billing grant is `deny: [lock]`. */
const oldBundle = `version: 1
flags:
  manage_prices: See prices
modules:
  billing:
    actions:
      view: { level: limited }
      edit: { level: full }
      lock: { level: full }
  jobs:
    relations: [assignee]
    actions:
      view: { level: limited }
      edit: { level: management }
    fields:
      client: {}
      price: { flags: [manage_prices] }
roles:
  manager:
    flags: [manage_prices]
    modules:
      billing: { access: all, level: full, deny: [lock] }
      jobs: { access: all, level: full }
  employee:
    modules:
      jobs: { access: assigned, level: limited }
`

const newBundle = oldBundle.replace('billing: { access: all, level: full, deny: [lock] }', 'billing: { access: all, level: full }')

/** On top of the crafted change: the employee also sees prices and reaches every job; the operative role appears. */
const widerBundle = newBundle
  .replace('  employee:\n    modules:\n      jobs: { access: assigned, level: limited }\n',
    '  employee:\n    flags: [manage_prices]\n    modules:\n      jobs: { access: all, level: limited }\n  operative:\n    modules:\n      billing: { access: all, allow: [view] }\n')

const subjects = `subjects:
  paul: { roles: [manager] }
  marie: { roles: [employee] }
  olga: { projects: { "site|12": [employee] } }
`

/** With a subject holding a role that only the wider bundle declares. */
const widerSubjects = `${subjects}  otto: { projects: { "site|12": [operative] } }
`

function files (t: Test): string {
  return t.testdir({ 'old.yaml': oldBundle, 'new.yaml': newBundle, 'wider.yaml': widerBundle, 'subjects.yaml': subjects, 'wider-subjects.yaml': widerSubjects })
}

t.test('the crafted change: removing `deny: [lock]` from manager gains managers `billing.lock`, and nothing else', async t => {
  const dir = files(t)
  const run = await runCli(['diff', `${dir}/old.yaml`, `${dir}/new.yaml`, '--subjects', `${dir}/subjects.yaml`, '--format', 'json'])
  t.equal(run.code, 1, run.stderr)
  t.equal(run.stderr, '')
  const report = JSON.parse(run.stdout)
  t.same(report.permissions, [{
    role: 'manager',
    module: 'billing',
    action: 'lock',
    change: 'gained',
    before: { granted: false },
    after: { granted: true, scope: { kind: 'all' }, flags: [], missingFlags: [] }
  }])
  t.same(report.fields, [])
  t.same(report.definitions, [])
  t.same(report.added, { flags: [], modules: [], actions: [], fields: [], roles: [] })
  t.same(report.removed, report.added)
  t.same(report.subjects, [{
    subject: 'paul',
    changes: [{ module: 'billing', action: 'lock', change: 'gained', before: { allowed: false }, after: { allowed: true, scope: { kind: 'all' }, custom: false } }],
    projects: []
  }])
  t.same(report.summary, { permissions: { gained: 1, lost: 0, changed: 0 }, fields: 0, declarations: 0, subjects: { checked: 3, affected: 1 } })
})

t.test('text output, for people', async t => {
  const dir = files(t)
  const run = await runCli(['diff', `${dir}/old.yaml`, `${dir}/new.yaml`, '-s', `${dir}/subjects.yaml`])
  t.equal(run.code, 1, run.stderr)
  t.equal(run.stdout, [
    `policy diff: ${dir}/old.yaml -> ${dir}/new.yaml`,
    'permissions: 1 gained, 0 lost, 0 changed; 0 field changes; 0 declaration changes; subjects: 1 of 3 affected',
    '',
    'permissions (role, module.action: before -> after):',
    '  + manager  billing.lock  not granted -> all resources',
    '',
    'subjects (module.action: before -> after):',
    '  paul:',
    '    + billing.lock  not allowed -> all resources',
    ''
  ].join('\n'))
})

t.test('a wider change in every format: fields, declarations, project roles', async t => {
  const dir = files(t)
  const args = ['diff', `${dir}/old.yaml`, `${dir}/wider.yaml`, '--subjects', `${dir}/wider-subjects.yaml`]

  await t.test('text', async t => {
    const run = await runCli(args)
    t.equal(run.code, 1, run.stderr)
    t.match(run.stdout, 'permissions: 2 gained, 0 lost, 1 changed; 1 field change; 2 declaration changes; subjects: 4 of 4 affected')
    t.match(run.stdout, '\ndeclarations:\n  added role operative\n  role employee: flags none -> manage_prices\n')
    t.match(run.stdout, /^ {2}~ employee {3}jobs\.view {5}assigned \(assignee\) -> all resources$/m)
    t.match(run.stdout, /^ {2}\+ operative {2}billing\.view {2}not granted -> all resources$/m)
    t.match(run.stdout, '\nfields (role, module.field: before -> after):\n  ~ employee  jobs.price  hidden -> read\n')
    t.match(run.stdout, '  otto, in project site|12:\n    + billing.view  not allowed -> all resources\n')
    t.match(run.stdout, '  marie:\n    ~ jobs.view  where assignee -> all resources\n')
    t.match(run.stdout, '  olga, in project site|12:\n    ~ jobs.view  where assignee -> all resources\n')
  })

  await t.test('markdown, for a pull-request comment', async t => {
    const run = await runCli([...args, '--format', 'markdown'])
    t.equal(run.code, 1, run.stderr)
    const lines = run.stdout.split('\n')
    t.equal(lines[0], '### gatehouse policy diff')
    t.match(run.stdout, '#### Declarations\n\n- added role `operative`\n- role `employee`: flags none → manage_prices\n')
    t.match(run.stdout, '| change | role | module | action | before | after |\n| --- | --- | --- | --- | --- | --- |\n')
    t.match(run.stdout, '| changed | `employee` | `jobs` | `view` | assigned (assignee) | all resources |')
    t.match(run.stdout, '| `employee` | `jobs` | `price` | hidden | read |')
    t.match(run.stdout, '| `otto` | `site\\|12` | gained | `billing` | `view` | not allowed | all resources |', 'a pipe in a project name is escaped')
    for (const line of lines.filter(l => l.startsWith('|'))) {
      const cells = line.replaceAll('\\|', '').split('|').length - 2
      t.ok([5, 6, 7].includes(cells), `table row with ${cells} cells: ${line}`)
    }
  })

  await t.test('json parses and has every section', async t => {
    const run = await runCli([...args, '-f', 'json'])
    t.equal(run.code, 1, run.stderr)
    const report = JSON.parse(run.stdout)
    t.equal(report.changed, true)
    t.same(report.added.roles, ['operative'])
    t.same(report.fields, [{ role: 'employee', module: 'jobs', field: 'price', before: 'hidden', after: 'read' }])
    t.same(report.subjects.map((s: { subject: string }) => s.subject), ['marie', 'olga', 'otto', 'paul'])
  })
})

t.test('no difference exits 0 in every format', async t => {
  const dir = files(t)
  const text = await runCli(['diff', `${dir}/old.yaml`, `${dir}/old.yaml`, '--subjects', `${dir}/subjects.yaml`])
  t.equal(text.code, 0, text.stderr)
  t.match(text.stdout, 'no difference: both policies give the same permissions and field modes\nsubjects: none of 3 affected\n')
  const markdown = await runCli(['diff', `${dir}/old.yaml`, `${dir}/old.yaml`, '--format', 'markdown'])
  t.equal(markdown.code, 0)
  t.match(markdown.stdout, '**No difference**')
  const json = await runCli(['diff', `${dir}/old.yaml`, `${dir}/old.yaml`, '--format', 'json'])
  t.equal(json.code, 0)
  t.equal(JSON.parse(json.stdout).changed, false)
})

t.test('bad input exits 2 with file:line:column messages and no stack trace', async t => {
  const badBundle = oldBundle.replace('lock: { level: full }', 'lock: { level: fulll }')
  const badSubjects = 'subjects:\n  paul: { roles: [manger] }\n'
  const dir = t.testdir({ 'old.yaml': oldBundle, 'bad.yaml': badBundle, 'broken.yaml': 'version: 1\nmodules: [\n', 'subjects.yaml': badSubjects })
  const badLine = badBundle.split('\n').findIndex(l => l.includes('fulll')) + 1
  const badColumn = (badBundle.split('\n')[badLine - 1] ?? '').indexOf('fulll') + 1

  await t.test('an invalid bundle names its file, line and column', async t => {
    const run = await runCli(['diff', `${dir}/old.yaml`, `${dir}/bad.yaml`])
    t.equal(run.code, 2)
    t.equal(run.stdout, '')
    t.match(run.stderr, `${dir}/bad.yaml:${badLine}:${badColumn}: error: invalid level \`fulll\``)
    t.notMatch(run.stderr, STACK_LINE)
  })

  await t.test('problems of both bundles are all printed', async t => {
    const run = await runCli(['diff', `${dir}/broken.yaml`, `${dir}/bad.yaml`])
    t.equal(run.code, 2)
    t.match(run.stderr, new RegExp(`^${dir}/broken\\.yaml:\\d+:\\d+: error: invalid yaml: `, 'm'))
    t.match(run.stderr, `${dir}/bad.yaml:${badLine}:${badColumn}: error:`)
  })

  await t.test('a missing file', async t => {
    const run = await runCli(['diff', `${dir}/old.yaml`, `${dir}/nope.yaml`])
    t.equal(run.code, 2)
    t.equal(run.stderr, `${dir}/nope.yaml: error: cannot read bundle \`${dir}/nope.yaml\`: no such file\n`)
  })

  await t.test('an invalid subjects file, also as JSON on stdout with --format json', async t => {
    const run = await runCli(['diff', `${dir}/old.yaml`, `${dir}/old.yaml`, '--subjects', `${dir}/subjects.yaml`, '--format', 'json'])
    t.equal(run.code, 2)
    t.match(run.stderr, `${dir}/subjects.yaml:2:19: error: subject \`paul\`: unknown role \`manger\``)
    t.match(JSON.parse(run.stdout), { ok: false, issues: [{ file: `${dir}/subjects.yaml`, line: 2, column: 19, code: 'unknown_role' }] })
  })

  await t.test('usage mistakes (in-process)', async t => {
    for (const [args, message] of [
      [['diff', `${dir}/old.yaml`], 'name the old bundle and the new bundle'],
      [['diff', 'a', 'b', 'c'], 'unexpected argument `c`: name two bundles'],
      [['diff', 'a', 'b', '--format', 'html'], 'unknown format `html`: expected `text`, `markdown`, `json`'],
      [['diff', 'a', 'b', '--colour'], 'unknown option `--colour`'],
      [['diff', 'a', 'b', '--subjects'], 'option `--subjects` needs a value']
    ] as const) {
      const io = captureIo()
      t.equal(await main(args, io), 2, args.join(' '))
      t.equal(io.err, `gatehouse diff: ${message}\nrun \`gatehouse diff --help\` for usage\n`)
      t.equal(io.out, '')
    }
  })
})

t.test('--help prints the usage and exits 0', async t => {
  const run = await runCli(['diff', '--help'])
  t.equal(run.code, 0)
  t.match(run.stdout, /^usage: gatehouse diff <old bundle> <new bundle> \[--subjects file\] \[--format text\|json\|markdown\]/)
})

t.test('two versions of a shipped template: the site-orders manager allowed to lock invoices', async t => {
  const shipped = readFileSync(new URL('../../src/templates/site-orders/bundle.yaml', import.meta.url), 'utf8')
  const changed = shipped.replace(/billing: \{ access: all, level: full, deny: \[lock, /, 'billing: { access: all, level: full, deny: [')
  t.not(changed, shipped, 'the template has the manager\'s billing deny list this test edits')
  const dir = t.testdir({ 'changed.yaml': changed })
  const run = await runCli(['diff', 'src/templates/site-orders/bundle.yaml', `${dir}/changed.yaml`, '-f', 'json'])
  t.equal(run.code, 1, run.stderr)
  const report = JSON.parse(run.stdout)
  t.same(report.permissions.map((p: { role: string, module: string, action: string, change: string }) => `${p.change} ${p.role} ${p.module}.${p.action}`), ['gained manager billing.lock'])
  t.equal(report.fields.length + report.summary.declarations, 0)
})
