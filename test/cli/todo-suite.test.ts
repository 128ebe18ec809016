/**
 * The runner and the HTTP API agree: test/cli/fixtures/todo-suite.yaml holds the AuthZEN
 * Todo scenario with the very bundle and subjects that test/http/authzen-interop.test.ts
 * stores and queries over HTTP, and as cases every vector of ../shared/authzen/todo.json
 * (the 40 evaluations and the items of the 3 batches). Both must give todo.json's answers.
 */
import { readFileSync } from 'node:fs'
import t from 'tap'
import { parse } from 'yaml'
import { loadSuiteText, runSuite } from '../../src/service/policy-tests/index.js'
import { fixture, runCli } from './helpers.js'

const suiteFile = fixture('todo-suite.yaml')
const suiteText = readFileSync(suiteFile, 'utf8')
const suite = parse(suiteText)
const http = parse(readFileSync(new URL('../http/authzen/todo.yaml', import.meta.url), 'utf8'))
const todo = JSON.parse(readFileSync(new URL('../../../shared/authzen/todo.json', import.meta.url), 'utf8'))

interface Entity { type: string, id: string, properties?: Record<string, unknown> }
interface Vector { case: number, who: string, request: { subject: Entity, action: { name: string }, resource: Entity }, expected: boolean }
interface Batch { case: number, who: string, request: { subject: Entity, action: { name: string }, evaluations: Array<Partial<Vector['request']>> }, expected: Array<{ decision: boolean }> }

/** The cases the suite must hold: every vector of todo.json, batch items merged with their defaults. */
function expectedCases (): Array<{ subject: string, action: string, resource: Entity, expect: string }> {
  const cases = (todo.evaluation as Vector[]).map(v => ({ subject: v.request.subject.id, action: v.request.action.name, resource: v.request.resource, expect: v.expected ? 'allow' : 'deny' }))
  for (const b of todo.evaluations as Batch[]) {
    b.request.evaluations.forEach((item, i) => {
      cases.push({
        subject: (item.subject ?? b.request.subject).id,
        action: (item.action ?? b.request.action).name,
        resource: item.resource ?? (b.request as any).resource,
        expect: b.expected[i]?.decision === true ? 'allow' : 'deny'
      })
    })
  }
  return cases
}

t.test('the suite holds the HTTP fixture\'s bundle and subjects, and every todo.json vector', async t => {
  t.same(suite.bundle, http.bundle, 'same bundle as test/http/authzen/todo.yaml')
  t.same(suite.subjects, http.subjects, 'same subjects')
  t.same(suite.resources, http.resources, 'same stored resources (none)')
  t.equal(todo.evaluation.length, 40)
  t.same(suite.cases.map((c: any) => ({ subject: c.subject, action: c.action, resource: c.resource, expect: c.expect })), expectedCases())
})

t.test('the runner gives todo.json\'s answer to every vector, with AuthZEN resource semantics', async t => {
  const loaded = loadSuiteText(suiteText, { file: 'todo-suite.yaml' })
  t.equal(loaded.ok, true)
  if (!loaded.ok) return
  const result = runSuite(loaded.suite)
  t.equal(result.total, 46)
  for (const c of result.cases) t.ok(c.passed, `${c.name}: ${c.actual.decision} (${c.actual.reason.code}: ${c.actual.reason.message})`)
  // Reads of ids nothing stores are answered by `access: all` (ADR 0001, "Resources").
  t.match(result.cases.find(c => c.name.startsWith('case 1 rick')), { resource: { type: 'user', id: 'beth@the-smiths.com' }, actual: { reason: { code: 'role_grant' } } })
  // The todo's ownerID is an e-mail: it matches the subject through its alias.
  t.match(result.cases.find(c => c.name.startsWith('case 42.2 morty')), { actual: { decision: 'allow', reason: { code: 'role_grant' } } })
})

t.test('gatehouse test passes the todo suite', async t => {
  const run = await runCli(['test', 'test/cli/fixtures/todo-suite.yaml'])
  t.equal(run.code, 0, run.stderr)
  t.match(run.stdout, /PASS test\/cli\/fixtures\/todo-suite\.yaml: 46 cases, 46 passed, 0 failed/)
})
