/**
 * `gatehouse test` end to end: the CLI spawned as a child
 * process (`runCli`: the CLI bundled from the sources; the first case of test-command.test.ts
 * and `--version` in main.test.ts run bin/gatehouse.js itself), as a user or a
 * CI job runs it, on suites written to a temporary directory.
 */
import { readFileSync } from 'node:fs'
import t from 'tap'
import { checkXml, fixture, runCli, STACK_LINE } from './helpers.js'

const jobsBundle = readFileSync(fixture('jobs-bundle.yaml'), 'utf8')
const jobsSuite = readFileSync(fixture('jobs-suite.yaml'), 'utf8')

/** The jobs suite with one deliberately wrong expectation: an employee deleting her job. */
const wrongSuite = jobsSuite.replace(
  '    deny: [edit, create, delete]\n',
  '    deny: [edit, create]\n  - name: employees delete their own jobs\n    says: "an employee may delete a job assigned to her"\n    subject: marie\n    action: delete\n    resource: jobs/j1\n    expect: allow\n'
)

t.test('a passing suite exits 0 and counts its cases', async t => {
  // Through the shim itself, as a user of a checkout runs it: it loads the sources through tsx.
  const run = await runCli(['test', 'test/cli/fixtures/jobs-suite.yaml'], { viaBin: true })
  t.equal(run.code, 0, run.stderr)
  t.match(run.stdout, /^PASS test\/cli\/fixtures\/jobs-suite\.yaml: 34 cases, 34 passed, 0 failed$/m)
  t.match(run.stdout, /1 suite; 34 cases: 34 passed, 0 failed/)
  t.equal(run.stderr, '')
})

t.test('the bundle path is read relative to the suite file, not the working directory', async t => {
  const run = await runCli(['test', 'cli/fixtures/jobs-suite.yaml'], { cwd: fixture('../..') })
  t.equal(run.code, 0, run.stderr)
  t.match(run.stdout, /34 passed, 0 failed/)
})

t.test('a wrong expectation exits 1 and names the case with decision, reason and expected value', async t => {
  const dir = t.testdir({ 'suite.yaml': wrongSuite, 'jobs-bundle.yaml': jobsBundle })
  const run = await runCli(['test', `${dir}/suite.yaml`])
  t.equal(run.code, 1, run.stderr)
  const line = wrongSuite.split('\n').findIndex(l => l.includes('name: employees delete their own jobs')) + 1
  t.match(run.stdout, 'FAIL employees delete their own jobs')
  t.match(run.stdout, `at:       ${dir}/suite.yaml:${line}:5`)
  t.match(run.stdout, 'says:     "an employee may delete a job assigned to her"')
  t.match(run.stdout, 'expected: allow')
  t.match(run.stdout, /actual: {3}deny, reason level_insufficient: .*`marie`/)
  t.match(run.stdout, '- expected `allow`, got `deny`')
  t.match(run.stdout, /34 cases, 33 passed, 1 failed/)
  t.notMatch(run.stdout, /FAIL marie may/, 'only the failing case is printed')
})

t.test('reporters', async t => {
  const dir = t.testdir({ 'suite.yaml': wrongSuite, 'jobs-bundle.yaml': jobsBundle })
  const suite = `${dir}/suite.yaml`

  await t.test('json parses and carries every case with its expectation and decision', async t => {
    const run = await runCli(['test', suite, '--reporter', 'json'])
    t.equal(run.code, 1)
    const report = JSON.parse(run.stdout)
    t.same(report.summary, { suites: 1, invalid: 0, cases: 34, passed: 33, failed: 1 })
    t.equal(report.ok, false)
    const failed = report.suites[0].cases.filter((c: any) => !c.passed)
    t.equal(failed.length, 1)
    t.match(failed[0], {
      name: 'employees delete their own jobs',
      subject: 'marie',
      action: 'delete',
      resource: { type: 'jobs', id: 'j1' },
      expected: { decision: 'allow' },
      actual: { decision: 'deny', reason: { code: 'level_insufficient' } },
      says: ['an employee may delete a job assigned to her'],
      line: Number
    })
  })

  await t.test('tap has a plan matching its test points, and diagnostics for the failure', async t => {
    const run = await runCli(['test', suite, '-r', 'tap'])
    t.equal(run.code, 1)
    const lines = run.stdout.split('\n')
    t.equal(lines[0], 'TAP version 14')
    const plan = /^1\.\.(\d+)$/m.exec(run.stdout)
    t.ok(plan, 'has a plan line')
    const points = lines.filter(l => /^(not )?ok \d+ - /.test(l))
    t.equal(points.length, Number(plan?.[1]))
    t.equal(points.length, 34)
    t.same(points.map(p => Number(/\d+/.exec(p)?.[0])), points.map((_, i) => i + 1), 'numbered in order')
    const failing = points.filter(p => p.startsWith('not ok'))
    t.equal(failing.length, 1)
    t.match(failing[0], 'employees delete their own jobs')
    t.match(run.stdout, /^ {2}---\n(?: {2}.*\n)*? {2}expected:\n {4}decision: allow\n/m)
    t.match(run.stdout, /^ {2}\.\.\.$/m)
  })

  await t.test('junit is well-formed with one testcase per case and one failure', async t => {
    const run = await runCli(['test', suite, '--reporter=junit'])
    t.equal(run.code, 1)
    const xml = checkXml(run.stdout)
    t.ok(xml.ok, xml.ok ? 'well-formed' : xml.error)
    if (!xml.ok) return
    t.equal(xml.elements.filter(e => e === 'testcase').length, 34)
    t.equal(xml.elements.filter(e => e === 'failure').length, 1)
    t.match(run.stdout, /<testsuites name="gatehouse" tests="34" failures="1" errors="0">/)
    t.match(run.stdout, /<testcase name="employees delete their own jobs" [^>]*line="\d+">/)
    t.match(run.stdout, /<failure type="policy_test" message="expected `allow`, got `deny`">/)
  })

  await t.test('text is the default', async t => {
    const run = await runCli(['test', suite])
    t.match(run.stdout, /^FAIL employees delete their own jobs$/m)
  })
})

t.test('a suite with errors exits 2 with file, line, column and reason, and no stack trace', async t => {
  const suite = [
    'bundle: ./bundle.yaml', //                                  1
    'subjects:', //                                               2
    '  marie: { roles: [employee] }', //                          3
    'cases:', //                                                  4
    '  - subject: mari', //                                       5
    '    action: view', //                                        6
    '    resource: { type: jobs, id: j1 }', //                    7
    '    expect: allow', //                                       8
    '  - subject: marie', //                                      9
    '    action: view', //                                        10
    '    resource: jobs/j1', //                                   11
    '    expct: allow', //                                        12
    ''
  ].join('\n')
  const bundle = 'version: 1\nmodules:\n  jobs:\n    actions: { view: { level: limited } }\nroles:\n  employee:\n    modules: { jobs: { access: all, level: limted } }\n'
  const dir = t.testdir({ 'suite.yaml': suite, 'bundle.yaml': bundle })
  const run = await runCli(['test', `${dir}/suite.yaml`])
  t.equal(run.code, 2)
  t.notMatch(run.stderr, STACK_LINE)
  t.notMatch(run.stderr, /Error:|TypeError|node:internal/)
  t.match(run.stderr, `${dir}/bundle.yaml:7:44: error: invalid level \`limted\``)
  t.match(run.stderr, `${dir}/suite.yaml:5:14: error: unknown subject \`mari\`: the suite declares \`marie\``)
  t.match(run.stderr, `${dir}/suite.yaml:11:15: error: unknown resource \`jobs/j1\``)
  t.match(run.stderr, `${dir}/suite.yaml:12:5: error: unknown property \`expct\``)
  t.match(run.stderr, `${dir}/suite.yaml:9:5: error: a case lacks required property \`expect\``)
  t.equal(run.stderr.trimEnd().split('\n').length, 5, 'one line per problem')
  t.match(run.stdout, /INVALID .*suite\.yaml: the suite could not be loaded \(5 problems, on stderr\)/)
})

t.test('a YAML syntax error is reported at its line', async t => {
  const dir = t.testdir({ 'suite.yaml': 'bundle: {}\ncases:\n  - subject: a\n    subject: b\n' })
  const run = await runCli(['test', `${dir}/suite.yaml`])
  t.equal(run.code, 2)
  t.match(run.stderr, `${dir}/suite.yaml:4:5: error: invalid yaml: map keys must be unique`)
  t.notMatch(run.stderr, STACK_LINE)
})

t.test('an invalid suite is reported in the machine reports too', async t => {
  const dir = t.testdir({ 'bad.yaml': 'bundle: ./none.yaml\ncases: []\n' })
  const junit = await runCli(['test', `${dir}/bad.yaml`, 'test/cli/fixtures/jobs-suite.yaml', '-r', 'junit'])
  t.equal(junit.code, 2, 'an invalid suite wins over passing ones')
  const xml = checkXml(junit.stdout)
  t.ok(xml.ok, xml.ok ? 'well-formed' : xml.error)
  t.match(junit.stdout, /<testsuites name="gatehouse" tests="35" failures="0" errors="1">/)
  t.match(junit.stdout, /<error type="invalid_suite" message="[^"]*bad\.yaml:1:9: error: cannot read bundle `\.\/none\.yaml`: no such file">/)
  const json = await runCli(['test', `${dir}/bad.yaml`, '-r', 'json'])
  t.equal(json.code, 2)
  const report = JSON.parse(json.stdout)
  t.match(report.suites[0], { status: 'invalid', issues: [{ line: 1, column: 9, code: 'unreadable_file' }, { line: 2, code: 'no_cases' }] })
  const tap = await runCli(['test', `${dir}/bad.yaml`, '-r', 'tap'])
  t.equal(tap.code, 2)
  t.match(tap.stdout, /^1\.\.1$/m)
  t.match(tap.stdout, /^not ok 1 - .*bad\.yaml: the suite could not be loaded$/m)
})

t.test('several suites: one failure makes the run fail, every suite is reported', async t => {
  const dir = t.testdir({ 'suite.yaml': wrongSuite, 'jobs-bundle.yaml': jobsBundle })
  const run = await runCli(['test', 'test/cli/fixtures/jobs-suite.yaml', `${dir}/suite.yaml`])
  t.equal(run.code, 1)
  t.match(run.stdout, /^PASS test\/cli\/fixtures\/jobs-suite\.yaml/m)
  t.match(run.stdout, /^FAIL .*suite\.yaml: 34 cases, 33 passed, 1 failed$/m)
  t.match(run.stdout, /2 suites; 68 cases: 67 passed, 1 failed/)
})

t.test('usage mistakes exit 2 with a one-line reason', async t => {
  const cases: Array<[string[], RegExp]> = [
    [[], /^gatehouse: name a command\n/],
    [['tset'], /^gatehouse: unknown command `tset`\nrun `gatehouse --help` for usage/],
    [['test'], /^gatehouse test: name at least one suite file\n/],
    [['test', 'x.yaml', '--reporter', 'xml'], /^gatehouse test: unknown reporter `xml`/],
    [['test', 'x.yaml', '--verbose'], /^gatehouse test: unknown option `--verbose`/],
    [['test', 'x.yaml', '--reporter'], /^gatehouse test: option `--reporter` needs a value/]
  ]
  for (const [args, message] of cases) {
    const run = await runCli(args)
    t.equal(run.code, 2, `gatehouse ${args.join(' ')}`)
    t.match(run.stderr, message)
    t.notMatch(run.stderr, STACK_LINE)
  }
  const missing = await runCli(['test', 'no-such-suite.yaml'])
  t.equal(missing.code, 2)
  t.match(missing.stderr, /^no-such-suite\.yaml: error: cannot read `no-such-suite\.yaml`: no such file$/m)
})

t.test('help goes to stdout and exits 0', async t => {
  const top = await runCli(['--help'])
  t.equal(top.code, 0)
  t.match(top.stdout, /^usage: gatehouse <command>/)
  t.match(top.stdout, /test\s+run policy test suites offline/)
  const test = await runCli(['test', '--help'])
  t.equal(test.code, 0)
  t.match(test.stdout, /--reporter <name>/)
})
