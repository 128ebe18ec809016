/**
 * Fixed-size bitsets over small index spaces (the actions of one module, the flags of a
 * policy). A decision tests single bits; listing allowed actions combines whole sets.
 */

/** A bitset; bit `i` lives in word `i >>> 5`. */
export type Bits = Uint32Array

/** An empty bitset able to hold `size` bits. */
export function emptyBits (size: number): Bits {
  return new Uint32Array(Math.max(1, Math.ceil(size / 32)))
}

/** A bitset of `size` bits with the given indexes set. */
export function bitsOf (size: number, indexes: Iterable<number>): Bits {
  const bits = emptyBits(size)
  for (const i of indexes) setBit(bits, i)
  return bits
}

/** Sets bit `i` in place. */
export function setBit (bits: Bits, i: number): void {
  bits[i >>> 5] = (bits[i >>> 5] ?? 0) | (1 << (i & 31))
}

/** Clears bit `i` in place. */
export function clearBit (bits: Bits, i: number): void {
  bits[i >>> 5] = (bits[i >>> 5] ?? 0) & ~(1 << (i & 31))
}

/** Whether bit `i` is set. */
export function hasBit (bits: Bits, i: number): boolean {
  return (((bits[i >>> 5] ?? 0) >>> (i & 31)) & 1) === 1
}

/** ORs `other` into `target` in place. INVARIANT: both have the same size. */
export function orInto (target: Bits, other: Bits): void {
  for (let w = 0; w < target.length; w++) target[w] = (target[w] ?? 0) | (other[w] ?? 0)
}

/** `a & ~b` as a new bitset. */
export function andNot (a: Bits, b: Bits): Bits {
  const out = new Uint32Array(a.length)
  for (let w = 0; w < a.length; w++) out[w] = (a[w] ?? 0) & ~(b[w] ?? 0)
  return out
}

/** `a | b` as a new bitset. */
export function or (a: Bits, b: Bits): Bits {
  const out = Uint32Array.from(a)
  orInto(out, b)
  return out
}

/** Whether every bit of `needed` is set in `held`. */
export function covers (held: Bits, needed: Bits): boolean {
  for (let w = 0; w < needed.length; w++) {
    if (((needed[w] ?? 0) & ~(held[w] ?? 0)) !== 0) return false
  }
  return true
}
