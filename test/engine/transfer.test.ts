/**
 * A compiled policy crossing threads (`transferPolicy` on a worker, `restoreSteps` on the
 * event loop): the rebuilt policy decides, exports and freezes exactly as the one
 * `compileBundle` built, takes the conditions as sent instead of compiling them again,
 * and is rebuilt one module or role per step.
 */
import t from 'tap'
import type { Bundle, CompiledPolicy, DecisionRequest, Subject } from '../../src/engine/index.js'
import { compileBundle, decide, exportBundle, jsonSafe } from '../../src/engine/index.js'
import { finish, restoreSteps, transferPolicy } from '../../src/engine/compile.js'
import type { PolicyTransfer } from '../../src/engine/compile.js'
import { ConditionMemo, MAX_MEMO_CONDITIONS, never } from '../../src/engine/condition.js'
import { richBundle } from './fixtures/rich-bundle.js'

/** Modules whose actions and grants have conditions, one of them a literal JSON cannot hold (`-0.0`: JSON writes `0`). */
const conditional: Bundle = {
  version: 1,
  subject_attributes: { limit: 'number' },
  modules: {
    invoices: {
      relations: ['owner'],
      attributes: { amount: 'number', status: { enum: ['open', 'locked'] } },
      actions: {
        view: { level: 'limited' },
        edit: { level: 'management', when: "resource.status != 'locked'" },
        approve: { level: 'full', when: 'resource.amount > -0.0' }
      },
      fields: { total: {} }
    },
    constructor: { actions: { view: { level: 'limited' } } }
  },
  roles: {
    clerk: { modules: { invoices: { access: 'all', level: 'limited', allow: ['approve'], when: { approve: 'resource.amount <= subject.limit' } } } },
    boss: { modules: { invoices: { access: 'all', level: 'full' }, constructor: { access: 'all', level: 'limited' } } }
  }
} as unknown as Bundle

function compiled (bundle: unknown): CompiledPolicy {
  const result = compileBundle(structuredClone(bundle))
  if (!result.ok) throw new Error(JSON.stringify(result.issues))
  return result.policy
}

/** As a worker's message arrives: a structured clone. */
const crossed = (transfer: PolicyTransfer): PolicyTransfer => structuredClone(transfer)

function deepFrozen (value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return true
  return Object.isFrozen(value) && Object.values(value).every(deepFrozen)
}

const subjects: Subject[] = [
  { id: 'c', roles: ['clerk'], attributes: { limit: 100 } },
  { id: 'b', roles: ['boss'] },
  ...Object.keys(richBundle.roles).map(role => ({ id: role, roles: [role] }))
]

for (const [name, bundle] of [['the decision-table bundle', richBundle], ['a bundle with conditions', conditional]] as const) {
  t.test(`${name}, rebuilt from its transfer, is the policy compileBundle built`, async t => {
    const original = compiled(bundle)
    const restored = finish(restoreSteps(crossed(transferPolicy(original))))
    t.equal(JSON.stringify(exportBundle(restored)), JSON.stringify(exportBundle(original)), 'the same normalized bundle, keys in the same order')
    t.ok(deepFrozen(restored.bundle), 'deeply frozen')
    t.strictSame([...restored.modules.keys()], [...original.modules.keys()])
    t.strictSame([...restored.roles.keys()], [...original.roles.keys()])
    for (const module of original.modules.values()) {
      for (const action of module.actions) {
        for (const subject of subjects) {
          for (const amount of [5, 500]) {
            const request: DecisionRequest = { subject, action, resource: { module: module.name, id: 'r', relations: {}, attributes: { amount, status: 'open' } } }
            t.strictSame(JSON.parse(JSON.stringify(decide(restored, request))), JSON.parse(JSON.stringify(decide(original, request))), `${subject.id} ${action} ${module.name} ${amount}`)
          }
        }
      }
    }
  })
}

t.test('a part JSON cannot hold travels as a value, the others as JSON text', async t => {
  const transfer = transferPolicy(compiled(conditional))
  const invoices = transfer.modules.find(([name]) => name === 'invoices')?.[1]
  t.ok(invoices !== undefined && 'value' in invoices, 'the module whose condition holds `-0.0`')
  t.ok(transfer.modules.filter(([name]) => name !== 'invoices').every(([, part]) => 'json' in part))
  t.ok('json' in transfer.head && transfer.roles.every(([, part]) => 'json' in part))
  t.notOk(jsonSafe(Number.NaN))
  t.notOk(jsonSafe(-0))
  t.notOk(jsonSafe({ a: [1, Infinity] }))
  t.ok(jsonSafe({ a: [1, 'x', null, true] }))
})

t.test('conditions are taken as sent, not compiled again', async t => {
  const transfer = transferPolicy(compiled(conditional))
  // A condition changed in transit: compiling the text again would undo the change.
  const forged = crossed(transfer)
  const part = forged.modules.find(([name]) => name === 'invoices')?.[1] as { value: [unknown, Array<{ text: string, root: unknown }>] }
  for (const condition of part.value[1]) condition.root = { op: 'const', value: condition.text.includes('locked') }
  const restored = finish(restoreSteps(forged))
  const edit = restored.modules.get('invoices')?.actionWhen[1]
  t.strictSame(edit?.root, { op: 'const', value: true }, 'the action condition as sent')
  t.strictSame(restored.roles.get('clerk')?.grants.get('invoices')?.when?.[2]?.root, { op: 'const', value: false }, 'the grant condition as sent')
})

t.test('the policy is rebuilt one module or role per step', async t => {
  const steps = restoreSteps(crossed(transferPolicy(compiled(richBundle))))
  let yielded = 0
  while (steps.next().done !== true) yielded++
  t.equal(yielded, Object.keys(richBundle.modules).length + Object.keys(richBundle.roles).length)
})

t.test('a memo keeps at most MAX_MEMO_CONDITIONS conditions given to it; it compiles the others on use', async t => {
  const memo = new ConditionMemo(new Map(), [], new Map())
  const given = Array.from({ length: MAX_MEMO_CONDITIONS + 1 }, (_, i) => ({ ...never(`${i} == ${i}`), root: { op: 'const' as const, value: true } }))
  memo.remember(given)
  t.strictSame(memo.onResource('0 == 0').root, { op: 'const', value: true }, 'a kept one: as given')
  t.not(memo.onResource(`${MAX_MEMO_CONDITIONS} == ${MAX_MEMO_CONDITIONS}`).root, given[MAX_MEMO_CONDITIONS]?.root, 'one past the bound: compiled from its text')
})
