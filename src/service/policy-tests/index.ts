/**
 * Policy test suites (docs/policy-tests.md): load a suite from its text or parsed value,
 * run it through the engine, get structured results. Shared by `gatehouse test` and the
 * HTTP route that runs suites against a tenant's policy. No I/O: files are read by the
 * caller (`LoadOptions.readBundle`).
 */
export { INLINE_RESOURCE_ID, loadSuiteText, loadSuiteValue } from './load.js'
export { ancestorsOf, runSuite } from './run.js'
export { SUITE_KEYS, suiteJsonSchema } from './schema.js'
export { issuePosition, parseSource, pointerTokens, sortIssues } from './source.js'
export type { ParsedSource, ParseResult, Position, SyntaxProblem } from './source.js'
export { SUITE_ISSUE_CODES } from './types.js'
export type {
  CaseResource, CaseResult, Expectation, LoadedSuite, LoadOptions, LoadResult, ReadBundle, SuiteCase, SuiteIssue,
  SuiteIssueCode, SuiteResult
} from './types.js'
