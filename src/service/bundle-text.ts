/**
 * Policy bundles as text: YAML (what ops teams keep in git) or JSON. Parsing only turns
 * text into a JSON value; `compileBundle` validates it.
 */
import { parse, stringify, YAMLError } from 'yaml'
import type { Bundle } from '../engine/model.js'
import { ServiceError } from './errors.js'

export type BundleFormat = 'json' | 'yaml'

/**
 * The JSON value of a YAML text (YAML 1.2 core schema; JSON is YAML too). Throws
 * ServiceError `invalid_yaml` naming the line and column of the first syntax error,
 * duplicate keys included.
 */
export function parseYamlText (text: string): unknown {
  try {
    return parse(text, { uniqueKeys: true, maxAliasCount: 100, prettyErrors: true })
  } catch (err) {
    if (!(err instanceof YAMLError)) throw err
    const pos = err.linePos?.[0]
    const reason = lowerFirst((err.message.split('\n')[0] ?? 'syntax error').replace(/ at line \d+, column \d+:?$/, ''))
    const where = pos === undefined ? '' : ` at line ${pos.line}, column ${pos.col}`
    throw new ServiceError('invalid_yaml', `invalid yaml${where}: ${reason}`, [
      { in: 'body', path: '', message: reason, code: err.code.toLowerCase(), ...(pos === undefined ? {} : { line: pos.line, col: pos.col }) }
    ])
  }
}

/** The bundle as text in `format`; JSON is 2-space indented, both end with a newline. */
export function formatBundle (bundle: Bundle, format: BundleFormat): string {
  return format === 'yaml' ? stringify(bundle) : `${JSON.stringify(bundle, null, 2)}\n`
}

function lowerFirst (text: string): string {
  return text.length === 0 ? text : `${text[0]?.toLowerCase() ?? ''}${text.slice(1)}`
}
