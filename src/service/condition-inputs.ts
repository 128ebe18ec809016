/**
 * What an AuthZEN request tells conditions besides subject and resource (issue 14):
 * `action.properties` and `context`, passed as they came (conditions read them untyped),
 * and `subject.properties`, whose declared subject attributes are checked against their
 * types and replace the stored subject's for this request. Shared by evaluations and
 * searches, so that a search answers what evaluation would.
 */
import { subjectAttributesFromProperties } from '../engine/index.js'
import type { CompiledPolicy, ConditionInputs } from '../engine/index.js'
import { issueDetails } from './admin.js'
import { validationFailed } from './errors.js'

/** The parts of a request conditions read; `properties` as the schema let them through (objects). */
export interface ConditionSources {
  subject?: { properties?: Record<string, unknown> } | undefined
  action?: { properties?: Record<string, unknown> } | undefined
  context?: Record<string, unknown> | undefined
}

const NONE: ConditionInputs = Object.freeze({})

/**
 * The request's condition inputs. Throws ServiceError `validation_failed` naming the
 * field (`/subject/properties/approval_limit`) when `subject.properties` gives a declared
 * subject attribute a value of another type; undeclared properties are ignored.
 * `pointer` is where the request's entities sit in the body (`''`, or `/evaluations/3`).
 */
export function conditionInputs (policy: CompiledPolicy, request: ConditionSources, pointer = ''): ConditionInputs {
  const subjectProperties = request.subject?.properties
  const actionProperties = request.action?.properties
  const context = request.context
  if (subjectProperties === undefined && actionProperties === undefined && context === undefined) return NONE
  const inputs: ConditionInputs = {}
  if (actionProperties !== undefined) inputs.actionProperties = actionProperties
  if (context !== undefined) inputs.context = context
  if (subjectProperties !== undefined) {
    const checked = subjectAttributesFromProperties(policy, subjectProperties)
    if (!checked.ok) {
      throw validationFailed(`invalid subject properties: ${checked.issues[0]?.message ?? ''}`, issueDetails(checked.issues, `${pointer}/subject/properties`))
    }
    if (Object.keys(checked.attributes).length > 0) inputs.subjectAttributes = checked.attributes
  }
  return inputs
}
