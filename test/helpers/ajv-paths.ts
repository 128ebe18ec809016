/**
 * The JSON pointers Ajv's errors name: the value, or the key an error is about (a missing,
 * extra or badly named property; both places of a repeated item). The format tests check
 * that a documented schema and gatehouse's own validator refuse a value at the same place.
 */
import type { ErrorObject } from 'ajv'

export function ajvPaths (errors: ErrorObject[] | null | undefined): Set<string> {
  const escape = (key: string): string => key.replaceAll('~', '~0').replaceAll('/', '~1')
  const paths = new Set<string>()
  for (const e of errors ?? []) {
    const params = e.params as Record<string, unknown>
    const key = params.additionalProperty ?? params.missingProperty ?? params.propertyName
    paths.add(typeof key === 'string' ? `${e.instancePath}/${escape(key)}` : e.instancePath)
    // uniqueItems names both indexes of a repeat; gatehouse reports the later one at its index.
    if (e.keyword === 'uniqueItems') for (const i of [params.i, params.j]) paths.add(`${e.instancePath}/${String(i)}`)
  }
  return paths
}
