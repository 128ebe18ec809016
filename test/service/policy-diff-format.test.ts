/**
 * The three renderings of a policy impact report: text, markdown (a pull-request comment)
 * and json, on a report with every kind of entry.
 */
import t from 'tap'
import type { Bundle, CompiledPolicy, Subject } from '../../src/engine/index.js'
import { compileBundle } from '../../src/engine/index.js'
import { describePermission, describeReach, describeRoleScope, diffPolicies, formatDiff } from '../../src/service/policy-diff/index.js'

function compile (bundle: unknown): CompiledPolicy {
  const compiled = compileBundle(bundle)
  if (!compiled.ok) throw new Error(JSON.stringify(compiled.issues))
  return compiled.policy
}

const before: Bundle = {
  version: 1,
  flags: { manage_prices: 'prices', archive_things: 'archive' },
  modules: {
    jobs: {
      relations: ['assignee', 'creator'],
      assigned: ['assignee'],
      actions: { view: { level: 'limited' }, edit: { level: 'management' }, delete: { level: 'full' } },
      fields: { price: { flags: ['manage_prices'] }, notes: {} }
    },
    legacy: { actions: { view: { level: 'limited' } } }
  },
  roles: {
    admin: { protected: true, all: true },
    manager: { flags: ['manage_prices'], modules: { jobs: { access: 'all', level: 'full' } } },
    employee: { modules: { jobs: { access: 'assigned', level: 'limited' } } }
  }
}

const after: Bundle = {
  version: 1,
  flags: { manage_prices: 'prices', delete_entities: 'delete' },
  modules: {
    jobs: {
      relations: ['assignee', 'creator', 'watcher'],
      assigned: ['assignee', 'watcher'],
      actions: { view: { level: 'limited' }, edit: { level: 'full' }, delete: { level: 'full', flags: ['delete_entities'] }, close: { level: 'management' } },
      fields: { price: { flags: ['manage_prices', 'delete_entities'] }, cost: {} }
    }
  },
  roles: {
    admin: { all: true },
    manager: { flags: ['manage_prices'], modules: { jobs: { access: 'all', level: 'full', scope: { delete: ['creator'] } } } },
    dispatcher: { modules: { jobs: { admin: true } } }
  }
}

const subjects: Subject[] = [
  { id: 'pa|ul', roles: ['manager'] },
  { id: 'ma`rie', roles: ['employee'], overrides: { modules: { jobs: { allow: ['delete'], access: 'all' } }, flags: { delete_entities: true } } }
]
const report = diffPolicies(compile(before), compile(after), { subjects })
const labels = { before: 'live policy', after: 'draft' }

t.test('json is the report itself', async t => {
  t.same(JSON.parse(formatDiff(report, 'json', labels)), report)
})

t.test('text names every kind of change', async t => {
  const text = formatDiff(report, 'text', labels)
  t.match(text, /^policy diff: live policy -> draft\n/)
  for (const line of [
    'added flag delete_entities',
    'removed flag archive_things',
    'removed module legacy',
    'added action jobs.close',
    'added field jobs.cost',
    'removed field jobs.notes',
    'added role dispatcher',
    'removed role employee',
    'module jobs: relations assignee, creator -> assignee, creator, watcher; assigned assignee -> assignee, watcher',
    'action jobs.edit: level management -> full',
    'action jobs.delete: flags none -> delete_entities',
    'field jobs.price: flags manage_prices -> delete_entities, manage_prices',
    'role admin: protected true -> false'
  ]) t.match(text, `\n  ${line}\n`, line)
  t.match(text, /^ {2}~ manager +jobs\.delete +all resources -> where creator; needs delete_entities, not held by the role: delete_entities$/m)
  t.match(text, /^ {2}\+ dispatcher +jobs\.view +not granted -> module admin$/m)
  t.match(text, /^ {2}~ manager +jobs\.price +edit -> hidden$/m)
  t.match(text, /^ {2}ma`rie:\n {4}- jobs\.view +all resources \(custom\) -> not allowed$/m)
})

t.test('markdown is GitHub-flavoured: code spans survive backticks and pipes', async t => {
  const md = formatDiff(report, 'markdown', labels)
  t.match(md, /^### gatehouse policy diff\n\n`live policy` → `draft`\n\n\*\*permissions: /)
  t.match(md, '| `` ma`rie `` | (tenant-wide) |', 'a backtick in a subject id gets a longer fence')
  t.match(md, '| `pa\\|ul` | (tenant-wide) |', 'a pipe in a subject id is escaped')
  t.match(md, '- role `admin`: protected true → false\n')
  t.match(md, '| gained | `dispatcher` | `jobs` | `view` | not granted | module admin |')
})

t.test('no difference is said in one line', async t => {
  const same = diffPolicies(compile(before), compile(before), { subjects: [] })
  t.equal(formatDiff(same, 'text', labels), 'policy diff: live policy -> draft\nno difference: both policies give the same permissions and field modes\nsubjects: none of 0 affected\n')
  t.equal(formatDiff(same, 'markdown', labels), '### gatehouse policy diff\n\n`live policy` → `draft`\n\n**No difference**: both policies give the same permissions and field modes. None of 0 subjects is affected.\n')
})

t.test('scopes and reaches in words', async t => {
  t.equal(describeRoleScope({ kind: 'none' }), 'no resources')
  t.equal(describeRoleScope({ kind: 'all' }), 'all resources')
  t.equal(describeRoleScope({ kind: 'assigned', relations: ['assignee', 'responsible'] }), 'assigned (assignee, responsible)')
  t.equal(describeRoleScope({ kind: 'relations', relations: ['creator'] }), 'where creator')
  t.equal(describeRoleScope({ kind: 'admin' }), 'module admin')
  t.equal(describeRoleScope({ kind: 'all-role' }), 'everything (all: true)')
  t.equal(describePermission({ granted: false }), 'not granted')
  t.equal(describePermission({ granted: true, scope: { kind: 'all' }, flags: ['a', 'b'], missingFlags: [] }), 'all resources; needs a, b')
  t.equal(describeReach({ allowed: false }), 'not allowed')
  t.equal(describeReach({ allowed: true, scope: { kind: 'relations', relations: ['assignee', 'creator'] }, custom: false }), 'where assignee or creator')
})
