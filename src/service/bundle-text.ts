/**
 * Policy bundles as text: YAML (what ops teams keep in git) or JSON. Parsing only turns
 * text into a JSON value; `compileBundle` validates it.
 */
import { stringify } from 'yaml'
import { bundleLimitIssues } from '../engine/bundle-limits.js'
import type { Bundle } from '../engine/model.js'
import { ServiceError, problemsMessage } from './errors.js'
import type { ErrorDetail } from './errors.js'
import { parseSource } from './policy-tests/source.js'
import type { SyntaxProblem } from './policy-tests/source.js'

export type BundleFormat = 'json' | 'yaml'

/**
 * The JSON value of a YAML text (YAML 1.2 core schema; JSON is YAML too), read by the
 * same bounded parser as suites and drafts (`parseSource`). Throws ServiceError
 * `invalid_yaml` naming the line and column of the first problem: syntax errors,
 * duplicate keys, aliases that cannot be resolved or expand too far, and texts past
 * `YAML_LIMITS`.
 */
export function parseYamlText (text: string): unknown {
  const parsed = parseSource(text)
  if (!parsed.ok) throw yamlFailure(parsed.problems)
  return parsed.source.value
}

/** ServiceError `invalid_yaml` for the problems of a text sent in a body, each with its line and column. */
export function yamlFailure (problems: readonly SyntaxProblem[]): ServiceError {
  const first = problems[0]
  const where = first === undefined ? '' : ` at line ${first.position.line}, column ${first.position.column}`
  return new ServiceError('invalid_yaml', `invalid yaml${where}: ${first?.message ?? 'syntax error'}`, problems.map(p => ({
    in: 'body', path: '', message: p.message, code: p.code, line: p.position.line, col: p.position.column
  })))
}

/** The bundle as text in `format`; JSON is 2-space indented, both end with a newline. */
export function formatBundle (bundle: Bundle, format: BundleFormat): string {
  return format === 'yaml' ? stringify(bundle) : `${JSON.stringify(bundle, null, 2)}\n`
}

/**
 * Refuses a bundle past `BUNDLE_LIMITS` before anything compiles it: ServiceError
 * `policy_invalid` with a detail naming each limit (its path under `prefix`, e.g.
 * `/bundle` for a bundle inside a JSON body). `what` names the bundle in the message.
 * Compiling runs on the event loop every tenant's decisions wait on, and the limits bound
 * what that costs; the count itself stops at `BUNDLE_LIMITS.values`.
 */
export function refuseOversizedBundle (bundle: unknown, prefix: string, what: string): void {
  const over = bundleLimitIssues(bundle)
  if (over.length === 0) return
  const details: ErrorDetail[] = over.map(i => ({ in: 'body', path: `${prefix}${i.path}`, message: i.message, code: i.code }))
  throw new ServiceError('policy_invalid', problemsMessage(what, details), details)
}
