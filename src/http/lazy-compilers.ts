/**
 * Request validators and response serializers compiled on first use. Fastify compiles
 * an ajv validator per route and request part, and a fast-json-stringify serializer per
 * route, status and content type, while the app starts; for gatehouse's routes that was
 * about 3.5 s of CPU before the service listened (2.5 s of it the serializers, each
 * validating its schema against the JSON Schema meta-schema), most of the time from
 * process start to the first decision (docs/benchmarks.md, "Cold start"). Compiled on
 * first use instead, a route pays for its own once (milliseconds to tens of
 * milliseconds) and routes never called pay nothing.
 *
 * The compilers are Fastify's own defaults (`@fastify/ajv-compiler`,
 * `@fastify/fast-json-stringify-compiler`), given the same schemas and options, so what
 * is accepted, refused and written is unchanged. One difference follows from handing
 * Fastify a compiler factory: it then treats the validator as custom and no longer
 * lower-cases header schemas' property names, which `lowerCaseHeaders` does here instead.
 * A schema that cannot be compiled fails its route's first request instead of the start;
 * every route is called by the tests.
 */
import { AjvCompiler } from '@fastify/ajv-compiler'
import type { BuildCompilerFromPool } from '@fastify/ajv-compiler'
import { SerializerSelector } from '@fastify/fast-json-stringify-compiler'
import type { SerializerFactory } from '@fastify/fast-json-stringify-compiler'

interface Validate { (data: unknown): unknown, errors?: unknown }

/** A `schemaController.compilersFactory.buildValidator` that defers each ajv compile to the first request it validates. */
export function lazyValidators (): BuildCompilerFromPool {
  const build = AjvCompiler()
  return ((externalSchemas, options) => {
    const compile = build(externalSchemas, options) as unknown as (route: { schema: unknown, httpPart?: string }) => Validate
    return (route: { schema: unknown, httpPart?: string }) => {
      const definition = route.httpPart === 'headers' ? { ...route, schema: lowerCaseHeaders(route.schema) } : route
      let validate: Validate | undefined
      // Fastify reads a failed validation's problems from the function's `errors`.
      const lazy: Validate = data => {
        validate ??= compile(definition)
        const valid = validate(data)
        lazy.errors = validate.errors
        return valid
      }
      return lazy
    }
  }) as BuildCompilerFromPool
}

/** A `schemaController.compilersFactory.buildSerializer` that defers each build to the first response it serializes. */
export function lazySerializers (): SerializerFactory {
  const build = SerializerSelector()
  return (externalSchemas, options) => {
    const compile = build(externalSchemas, options)
    return route => {
      let serialize: ((doc: unknown) => string) | undefined
      return doc => (serialize ??= compile(route))(doc)
    }
  }
}

/** Header names are case-insensitive and Node gives them lower-cased: so must the schema name them (as Fastify does for its own compiler). */
export function lowerCaseHeaders (schema: unknown): unknown {
  if (typeof schema !== 'object' || schema === null || Array.isArray(schema)) return schema
  const { properties, required } = schema as { properties?: Record<string, unknown>, required?: unknown }
  const lowered: Record<string, unknown> = { ...schema }
  if (typeof properties === 'object' && properties !== null) {
    lowered.properties = Object.fromEntries(Object.entries(properties).map(([name, s]) => [name.toLowerCase(), s]))
  }
  if (Array.isArray(required)) lowered.required = required.map(name => typeof name === 'string' ? name.toLowerCase() : name)
  return lowered
}
