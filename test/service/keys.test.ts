import { randomBytes } from 'node:crypto'
import t from 'tap'
import { createServices, ensureRootKey, hashSecret, KeyRing, mintKey, parseKeyToken } from '../../src/service/index.js'
import type { Store } from '../../src/store/store.js'
import { eachBackend } from '../helpers/build-app.js'
import { exampleBundle } from '../http/fixtures.js'
import { countingStore } from './counting-store.js'

const ROOT_KEY = 'configured-root-key-000'
const unknownToken = (): string => mintKey().token
const getKeys = (calls: string[]): number => calls.filter(c => c === 'getKey').length

t.test('a minted token parses back to its id and a secret whose hash is stored', async t => {
  const { keyId, token, secretHash } = mintKey()
  const parsed = parseKeyToken(token)
  t.equal(parsed?.keyId, keyId)
  t.equal(hashSecret(parsed?.secret ?? ''), secretHash)
  t.notOk(secretHash.includes(parsed?.secret ?? 'x'))
  t.not(mintKey().token, token, 'tokens are random')
})

t.test('tokens of another shape do not parse', async t => {
  for (const token of ['', 'gh_', 'gh_abc_def', 'xx_000000000000000000000000_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', `gh_${'0'.repeat(24)}_short`, `gh_root_${'A'.repeat(43)}`]) {
    t.equal(parseKeyToken(token), undefined, `\`${token}\``)
  }
})

t.test('the unknown key ids remembered stay within their bound, however many are presented', async t => {
  let reads = 0
  const store = { getKey: async () => { reads++ } } as unknown as Store
  const ring = new KeyRing({ store, rootKey: ROOT_KEY, unknownCacheSize: 1000 })
  let accepted = 0
  for (let i = 0; i < 100_000; i++) if (await ring.authenticate(unknownToken()) !== undefined) accepted++
  t.equal(accepted, 0, 'every one refused')
  t.equal(reads, 100_000, 'each new id is one query')
  t.equal(ring.unknownCount, 1000, 'and no more than 1,000 are kept')
})

t.test('an unknown key id is remembered until its time runs out, then read again', async t => {
  let now = 0
  let reads = 0
  const store = { getKey: async () => { reads++ } } as unknown as Store
  const ring = new KeyRing({ store, rootKey: ROOT_KEY, unknownTtlMs: 10_000, now: () => now })
  const token = unknownToken()
  await ring.authenticate(token)
  now = 9_999
  t.equal(await ring.authenticate(token), undefined)
  t.equal(reads, 1, 'within its time, from memory')
  now = 10_000
  t.equal(await ring.authenticate(token), undefined)
  t.equal(reads, 2, 'then from the store again')
  t.equal(ring.unknownCount, 1)
})

t.test('an unknown id read while a key write was learnt of is not remembered', async t => {
  const { keyId, token } = mintKey()
  let release: () => void = () => {}
  let reads = 0
  const store = { getKey: async () => { reads++; await new Promise<void>(resolve => { release = resolve }) } } as unknown as Store
  const ring = new KeyRing({ store, rootKey: ROOT_KEY })
  for (const forget of [() => { ring.forget(keyId) }, () => { ring.forgetTenant('t') }, () => { ring.forgetAll() }]) {
    const raced = ring.authenticate(token)
    // The creation is learnt of after the query ran, before its answer arrived: the answer may predate it.
    forget()
    release()
    t.equal(await raced, undefined, 'the racing request is refused')
    const next = ring.authenticate(token)
    await Promise.resolve()
    release()
    t.equal(await next, undefined)
    t.equal(ring.unknownCount, 1, 'the next read is remembered')
    ring.forgetAll()
  }
  t.equal(reads, 6, 'each race was followed by a read of its own')
})

await eachBackend(t, async (t, backend) => {
  const { store } = backend
  const tenant = `k-${randomBytes(5).toString('hex')}`
  await store.putTenant(tenant, { name: tenant })

  await t.test('a key authenticates as its tenant and scopes; a wrong secret or a revoked key does not', async t => {
    const ring = new KeyRing({ store, rootKey: 'configured-root-key-000' })
    const { keyId, token, secretHash } = mintKey()
    await store.createKey({ id: keyId, tenantId: tenant, secretHash, scopes: ['check'] })
    t.same(await ring.authenticate(token), { kind: 'tenant', keyId, tenantId: tenant, scopes: ['check'], actor: 'optional' })
    t.equal(await ring.authenticate(`${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`), undefined, 'a wrong secret')
    t.equal(await ring.authenticate(`gh_${'f'.repeat(24)}_${'A'.repeat(43)}`), undefined, 'an unknown key id')
    t.same(await ring.authenticate('configured-root-key-000'), { kind: 'root' })
    t.equal(await ring.authenticate('configured-root-key-001'), undefined)

    const other = mintKey()
    await store.createKey({ id: other.keyId, tenantId: tenant, secretHash: other.secretHash, scopes: ['admin'] })
    await store.revokeKey(tenant, other.keyId)
    t.equal(await new KeyRing({ store, rootKey: undefined }).authenticate(other.token), undefined, 'a revoked key')
  })

  await t.test('an unknown key id costs one query, not one per request, whatever secret comes with it', async t => {
    const { store: counted, calls } = countingStore(store)
    const ring = new KeyRing({ store: counted, rootKey: ROOT_KEY })
    const token = unknownToken()
    t.equal(await ring.authenticate(token), undefined)
    t.equal(getKeys(calls), 1, 'the first time, the store is asked')
    for (const again of [token, `${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`]) t.equal(await ring.authenticate(again), undefined)
    t.equal(getKeys(calls), 1, 'then not again')
    t.same(await ring.authenticate(ROOT_KEY), { kind: 'root' }, 'the root key still answers')
    const other = unknownToken()
    t.equal(await ring.authenticate(other), undefined)
    t.equal(getKeys(calls), 2, 'another unknown id is one more query')
  })

  await t.test('a malformed token is refused without any store query', async t => {
    const { store: counted, calls } = countingStore(store)
    const ring = new KeyRing({ store: counted, rootKey: ROOT_KEY })
    const { token } = mintKey()
    const malformed = [
      '', 'x', 'gh_', `gh_${'0'.repeat(24)}`, `gh_${'0'.repeat(24)}_`, `gh_${'G'.repeat(24)}_${'A'.repeat(43)}`, `gh_${'0'.repeat(24)}-${'A'.repeat(43)}`,
      `gh_${'0'.repeat(24)}_${'A'.repeat(42)}!`, `gh_${'0'.repeat(24)}_${'A'.repeat(44)}`, `gh_${'0'.repeat(23)}_${'A'.repeat(44)}`, `xx${token.slice(2)}`,
      token.toUpperCase(), `${token}\u0000`, `gh_${'\u00e9'.repeat(24)}_${'A'.repeat(43)}`, `gh_root_${'A'.repeat(43)}`, 'a'.repeat(100_000)
    ]
    for (const bad of malformed) t.equal(await ring.authenticate(bad), undefined, JSON.stringify(bad.slice(0, 80)))
    t.same(calls, [], 'not one store call')
  })

  await t.test('a key created by another process after its id was found unknown authenticates once the change is learnt of, or at most after the time to live', async t => {
    const writer = createServices({ store, rootKey: undefined })
    const { store: counted, calls } = countingStore(store)
    let now = 0
    const replica = createServices({ store: counted, rootKey: ROOT_KEY })
    const ring = new KeyRing({ store: counted, rootKey: ROOT_KEY, now: () => now })
    // Room for one key: a key remembered as created leaves the cache by the next one.
    const local = new KeyRing({ store: counted, rootKey: ROOT_KEY, cacheSize: 1 })
    const tenantId = `k-${randomBytes(5).toString('hex')}`
    await writer.admin.putTenant(tenantId, {})
    await writer.admin.putPolicy(tenantId, exampleBundle)
    const keyIn = async (minted: ReturnType<typeof mintKey>): Promise<void> => {
      await store.createKey({ id: minted.keyId, tenantId, secretHash: minted.secretHash, scopes: ['check'] })
    }
    /** Presents `minted` until it is remembered as unknown (one query, then none). */
    const rememberUnknown = async (keys: KeyRing, minted: ReturnType<typeof mintKey>): Promise<void> => {
      const before = getKeys(calls)
      t.equal(await keys.authenticate(minted.token), undefined, 'unknown at first')
      t.equal(await keys.authenticate(minted.token), undefined)
      t.equal(getKeys(calls), before + 1, 'and remembered')
    }

    // The tenant in memory: the change feed's refresh catches up with the audit log, which names the key.
    await replica.states.get(tenantId)
    const inMemory = mintKey()
    await rememberUnknown(replica.keys, inMemory)
    await keyIn(inMemory)
    t.equal(await replica.keys.authenticate(inMemory.token), undefined, 'created elsewhere, unseen: still unknown here')
    await replica.states.refresh(tenantId)
    t.match(await replica.keys.authenticate(inMemory.token), { kind: 'tenant', tenantId }, 'the caught-up creation voids the entry')

    // The tenant not in memory: the feed's notification forgets all of the tenant's keys.
    const notLoaded = mintKey()
    const elsewhere = `k-${randomBytes(5).toString('hex')}`
    await writer.admin.putTenant(elsewhere, {})
    await rememberUnknown(replica.keys, notLoaded)
    await store.createKey({ id: notLoaded.keyId, tenantId: elsewhere, secretHash: notLoaded.secretHash, scopes: ['check'] })
    replica.propagation.changed(elsewhere, (await store.getRevisions([elsewhere])).get(elsewhere) ?? 0)
    t.match(await replica.keys.authenticate(notLoaded.token), { kind: 'tenant', tenantId: elsewhere }, 'the notification voids the entry')

    // No change learnt of at all: the entry lapses.
    const unnoticed = mintKey()
    await rememberUnknown(ring, unnoticed)
    await keyIn(unnoticed)
    now = 9_999
    t.equal(await ring.authenticate(unnoticed.token), undefined, 'within the 10 s, still unknown')
    now = 10_000
    t.match(await ring.authenticate(unnoticed.token), { kind: 'tenant', tenantId }, 'then read again and found')

    // This process's own creation: remembered as created, whatever was remembered before.
    const own = mintKey()
    await rememberUnknown(local, own)
    await keyIn(own)
    const record = { tenantId, scopes: ['check' as const], actor: 'optional' as const, createdAt: new Date(), revokedAt: null }
    local.remember({ ...record, id: own.keyId, secretHash: own.secretHash })
    const filler = mintKey()
    local.remember({ ...record, id: filler.keyId, secretHash: filler.secretHash })
    t.match(await local.authenticate(own.token), { kind: 'tenant', tenantId }, 'once out of the cache, read again, not refused from memory')
  })

  await t.test('the generated root key is stored as a hash once; later starts generate nothing', async t => {
    const existing = await store.getRootKeyHash()
    const first = await ensureRootKey(store, undefined)
    if (existing === undefined) {
      t.match(first.generated, /^gh_root_/)
      t.equal(await store.getRootKeyHash(), hashSecret(first.generated ?? ''))
      t.same(await new KeyRing({ store, rootKey: undefined }).authenticate(first.generated ?? ''), { kind: 'root' })
    }
    t.same(await ensureRootKey(store, undefined), {}, 'nothing is generated a second time')
    t.same(await ensureRootKey(store, 'configured-root-key-000'), {}, 'nor with a configured key')
    const ring = new KeyRing({ store, rootKey: 'configured-root-key-000' })
    if (first.generated !== undefined) t.equal(await ring.authenticate(first.generated), undefined, 'a configured key replaces the generated one')
  })
})
