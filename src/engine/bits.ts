/**
 * Fixed-size bitsets over small index spaces (the actions of one module, the flags of a
 * policy). A decision tests single bits; listing allowed actions combines whole sets.
 */

/**
 * A bitset; bit `i` lives in word `i >>> 5`.
 * INVARIANT: every index passed below is within the size the set was made for, and sets
 * combined together have the same size; word reads are therefore never out of bounds.
 */
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
  bits[i >>> 5] = (bits[i >>> 5] as number) | (1 << (i & 31))
}

/** Clears bit `i` in place. */
export function clearBit (bits: Bits, i: number): void {
  bits[i >>> 5] = (bits[i >>> 5] as number) & ~(1 << (i & 31))
}

/** Whether bit `i` is set. */
export function hasBit (bits: Bits, i: number): boolean {
  return (((bits[i >>> 5] as number) >>> (i & 31)) & 1) === 1
}

/** ORs `other` into `target` in place. INVARIANT: both have the same size. */
export function orInto (target: Bits, other: Bits): void {
  for (let w = 0; w < target.length; w++) target[w] = (target[w] as number) | (other[w] as number)
}

/** `a & ~b` as a new bitset. */
export function andNot (a: Bits, b: Bits): Bits {
  const out = new Uint32Array(a.length)
  for (let w = 0; w < a.length; w++) out[w] = (a[w] as number) & ~(b[w] as number)
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
    if (((needed[w] as number) & ~(held[w] as number)) !== 0) return false
  }
  return true
}
