/**
 * The reporters on awkward input: names with markup, quotes, `#`, line breaks and control
 * characters must still give well-formed XML, one-line TAP points and exact JSON.
 */
import t from 'tap'
import { parse } from 'yaml'
import type { SuiteOutcome } from '../../src/cli/reporters.js'
import { report } from '../../src/cli/reporters.js'
import type { CaseResult } from '../../src/service/policy-tests/index.js'
import { checkXml } from './helpers.js'

const awkward = 'a <b> & "c" \'d\' # e\nf\u0001g'

function caseResult (passed: boolean): CaseResult {
  return {
    name: awkward,
    file: 'odd <file>.yaml',
    path: '/cases/0',
    line: 3,
    column: 5,
    says: [awkward],
    subject: 'u&1',
    action: 'view',
    resource: { type: 'jobs', id: 'j<1>', label: 'jobs/j<1>' },
    expected: { decision: 'allow', reason: 'role_grant', fields: { visible: ['x'] } },
    actual: { decision: passed ? 'allow' : 'deny', reason: { code: passed ? 'role_grant' : 'no_grant', message: `no role of \`u&1\` grants ${awkward}` }, fields: { visible: ['x'], editable: [] } },
    passed,
    mismatches: passed ? [] : ['expected `allow`, got `deny`', awkward]
  }
}

const outcomes: SuiteOutcome[] = [
  { file: 'odd <file>.yaml', status: 'ran', result: { file: 'odd <file>.yaml', name: awkward, total: 2, passed: 1, failed: 1, cases: [caseResult(true), caseResult(false)] } },
  { file: 'bad & "broken".yaml', status: 'invalid', issues: [{ file: 'bad & "broken".yaml', line: 1, column: 2, path: '', code: 'syntax_error', message: awkward }] }
]

t.test('junit stays well-formed', async t => {
  const xml = report('junit', outcomes)
  const checked = checkXml(xml)
  t.ok(checked.ok, checked.ok ? 'well-formed' : checked.error)
  t.notOk(xml.includes('\u0001'), 'control characters are dropped')
  t.match(xml, 'tests="3" failures="1" errors="1"')
  t.match(xml, 'name="a &lt;b&gt; &amp; &quot;c&quot; &apos;d&apos; # e&#10;fg"')
})

t.test('tap points stay on one line, with # escaped, and diagnostics are YAML', async t => {
  const tap = report('tap', outcomes)
  const lines = tap.split('\n')
  t.equal(lines[1], '1..3')
  t.equal(lines.filter(l => /^(not )?ok \d+ - /.test(l)).length, 3)
  t.ok(lines.includes('ok 1 - odd <file>.yaml: a <b> & "c" \'d\' \\# e f\u0001g'), 'escaped # and joined lines')
  const block = /^ {2}---\n([\s\S]*?)\n {2}\.\.\.$/m.exec(tap)?.[1]
  t.ok(block, 'has a diagnostics block')
  const diag = parse((block ?? '').split('\n').map(l => l.slice(2)).join('\n'))
  t.match(diag, { at: 'odd <file>.yaml:3:5', expected: { decision: 'allow' }, actual: { decision: 'deny', reason: { code: 'no_grant' } }, says: [awkward] })
})

t.test('json round-trips the results and issues exactly', async t => {
  const json = JSON.parse(report('json', outcomes))
  t.same(json.summary, { suites: 2, invalid: 1, cases: 2, passed: 1, failed: 1 })
  t.equal(json.ok, false)
  t.same(json.suites[0].cases[1], caseResult(false))
  t.same(json.suites[1], { file: 'bad & "broken".yaml', status: 'invalid', issues: outcomes[1]?.status === 'invalid' ? outcomes[1].issues : [] })
})

t.test('text shows the failing case with its expectation, decision and fields', async t => {
  const text = report('text', outcomes)
  t.match(text, `FAIL ${awkward}\n  at:       odd <file>.yaml:3:5\n`)
  t.match(text, '  expected: allow, reason role_grant, visible [x]\n')
  t.match(text, '  actual:   deny, reason no_grant: no role of `u&1` grants')
  t.match(text, '  fields:   visible [x], editable []\n')
  t.match(text, 'INVALID bad & "broken".yaml: the suite could not be loaded (1 problem, on stderr)')
  t.match(text, /2 suites, 1 could not be loaded; 2 cases: 1 passed, 1 failed\n$/)
})
