/**
 * Response serializers compiled on first use. Fastify builds one fast-json-stringify
 * serializer per route, status and content type while the app starts, and each build
 * validates its schema against the JSON Schema meta-schema and resolves every shared
 * schema: for gatehouse's routes, about 2.5 s of CPU before the service listens, most of
 * the time from process start to the first decision (docs/benchmarks.md, "Cold start").
 * Built on first use instead, a route pays its own serializer once (tens of
 * milliseconds) and routes never called pay nothing. The serializers are the ones
 * Fastify would build (`@fastify/fast-json-stringify-compiler`, Fastify's own default),
 * from the same schemas and options: answers are byte for byte the same.
 */
import { SerializerSelector } from '@fastify/fast-json-stringify-compiler'
import type { SerializerFactory } from '@fastify/fast-json-stringify-compiler'

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
