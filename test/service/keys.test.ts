import { randomBytes } from 'node:crypto'
import t from 'tap'
import { ensureRootKey, hashSecret, KeyRing, mintKey, parseKeyToken } from '../../src/service/index.js'
import { eachBackend } from '../helpers/build-app.js'

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
