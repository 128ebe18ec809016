/**
 * Cedar (`@cedar-policy/cedar-wasm`, the official WebAssembly build of AWS Cedar). The
 * policies are parsed once and kept in the wasm module (`preparsePolicySet`), one set per
 * module (the global rules plus that module's): a `statefulIsAuthorized` call costs a
 * fixed part plus a part per policy in the set, even for policies whose scope does not
 * match (measured here: about 3 µs each), so splitting by resource type is what a Cedar
 * deployment would do. Each check passes the principal and resource entities, prepared
 * once per subject and per resource. Cedar has no field rules, so a field question is
 * its own action (`Action::"jobs/read_field:price"`).
 */
import * as cedar from '@cedar-policy/cedar-wasm/nodejs'
import type { StatefulAuthorizationCall } from '@cedar-policy/cedar-wasm/nodejs'
import { cedarActionId, cedarPolicies, cedarPrincipal, cedarResource } from '../translate/cedar.js'
import type { CedarEntity } from '../translate/cedar.js'
import type { Translation } from '../translate/translation.js'
import type { BenchResource, Workload } from '../lib/workload.js'
import type { EngineUnderTest } from './engine.js'

const policySetId = (module: string): string => `gatehouse-bench/${module}`

export function cedarEngine (w: Workload, t: Translation): EngineUnderTest {
  const start = performance.now()
  let largest = 0
  for (const module of t.ruleSet.modules.keys()) {
    const rules = t.merged.filter(r => r.module === '*' || r.module === module)
    largest = Math.max(largest, rules.length)
    const parsed = cedar.preparsePolicySet(policySetId(module), { staticPolicies: cedarPolicies(rules) })
    if (parsed.type !== 'success') throw new Error(`cedar rejects the policies of \`${module}\`: ${parsed.errors.map(e => e.message).join('; ')}`)
  }
  const principals = new Map<string, CedarEntity>()
  for (const [id, { facts }] of t.subjects) principals.set(id, cedarPrincipal(facts))
  const resources = new Map<BenchResource, CedarEntity>()
  for (const r of w.resources) resources.set(r, cedarResource(r.module, r.id, r.project, r.relations))
  const calls: StatefulAuthorizationCall[] = w.requests.map(q => {
    const principal = principals.get(q.subject.id) as CedarEntity
    const resource = resources.get(q.resource) as CedarEntity
    return {
      principal: principal.uid,
      action: { type: 'Action', id: cedarActionId(q.resource.module, q.question) },
      resource: resource.uid,
      context: {},
      preparsedPolicySetId: policySetId(q.resource.module),
      entities: [principal, resource] as StatefulAuthorizationCall['entities']
    }
  })
  return {
    name: 'Cedar (wasm)',
    description: `@cedar-policy/cedar-wasm ${cedar.getCedarVersion()}: \`statefulIsAuthorized\` on the module's preparsed policy set (${t.merged.length} policies in all, at most ${largest} per module), entities passed per call`,
    setupMs: performance.now() - start,
    run (out, count) {
      let yes = 0
      for (let i = 0; i < count; i++) {
        const answer = cedar.statefulIsAuthorized(calls[i] as StatefulAuthorizationCall)
        if (answer.type !== 'success') throw new Error(`cedar failed on request ${i}: ${answer.errors.map(e => e.message).join('; ')}`)
        if (answer.response.diagnostics.errors.length > 0) {
          throw new Error(`cedar policy errors on request ${i}: ${answer.response.diagnostics.errors.map(e => `${e.policyId}: ${e.error.message}`).join('; ')}`)
        }
        const a = answer.response.decision === 'allow'
        out[i] = a ? 1 : 0
        if (a) yes++
      }
      return yes
    }
  }
}
