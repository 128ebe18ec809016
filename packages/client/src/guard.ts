/**
 * What the framework guards (`@gatehouse-pdp/fastify`, `@gatehouse-pdp/express`) share:
 * the check a guarded route asks, and the 403 body of its deny. Kept here so that every
 * framework asks the same question and answers a deny the same way.
 */
import type { Decision, GatehouseClient, SubjectInput } from './client.js'

/** What a request is asking for: who, which resource of the module, and optionally the resource's properties as sent. */
export interface AuthorizeTarget {
  subject: SubjectInput
  id: string
  properties?: Record<string, unknown>
  context?: Record<string, unknown>
}

/** The 403 body of a guarded route's deny. */
export interface DenialBody {
  code: 'access_denied'
  message: string
  reason: Decision['reason']
}

/** Whether `target`'s subject may do `action` on its resource of `module`. */
export async function checkTarget (client: GatehouseClient, module: string, action: string, target: AuthorizeTarget): Promise<Decision> {
  const { subject, id, properties, context } = target
  return await client.check({
    subject,
    action,
    resource: properties === undefined ? { type: module, id } : { type: module, id, properties },
    ...(context === undefined ? {} : { context })
  })
}

/** The body a guarded route answers a deny with. */
export function denialBody (decision: Decision): DenialBody {
  return { code: 'access_denied', message: decision.reason.message, reason: decision.reason }
}
