/**
 * Guards for states the types rule out. They throw: the engine fails closed, and a
 * caller that catches turns the throw into a deny (`evaluation_error`), never an allow.
 */

/** Marks the unreachable default branch of a `switch` over a union. */
export function assertNever (value: never): never {
  throw new Error(`bug: unexpected value ${JSON.stringify(value)}`)
}
