/**
 * Counts kept on the hot paths for a metrics scrape (src/http/metrics.ts): plain numbers
 * and arrays, so that a decision or a cache lookup pays an increment, never a label
 * lookup or an allocation; the scrape turns them into labelled series. Nothing here
 * names a tenant or a subject: labels stay bounded by what policies declare.
 */
import { REASON_CODES } from '../engine/reasons.js'
import type { ReasonCode } from '../engine/reasons.js'

/** Lookups of one cache: answered from memory, or by reading the store. */
export interface CacheCounts {
  hits: number
  misses: number
}

export function cacheCounts (): CacheCounts {
  return { hits: 0, misses: 0 }
}

export const DECISION_REASONS = Object.keys(REASON_CODES) as ReasonCode[]
const REASON_INDEX = Object.fromEntries(DECISION_REASONS.map((code, i) => [code, i])) as Record<ReasonCode, number>

/** The module label of a decision whose module the tenant's policy does not declare (any name a caller sends). */
export const UNKNOWN_MODULE = '(unknown)'
/** The module label once `maxModules` distinct names are counted (tenants declare their own modules). */
export const OTHER_MODULES = '(other)'
/** Distinct module labels kept: the shipped templates declare a few dozen between them. */
export const DEFAULT_MAX_MODULES = 200

export interface DecisionCount {
  module: string
  reason: ReasonCode
  allowed: boolean
  count: number
}

/**
 * Decisions by module, reason code and outcome. Per module, one array of two slots per
 * reason code (denied, allowed). The caller says whether the module is declared by the
 * policy that decided; any other name counts under `UNKNOWN_MODULE`, so that a caller
 * sending made-up module names cannot grow the label set.
 */
export class DecisionTally {
  readonly #byModule = new Map<string, Float64Array>()
  readonly #maxModules: number

  constructor (opts: { maxModules?: number } = {}) {
    this.#maxModules = opts.maxModules ?? DEFAULT_MAX_MODULES
  }

  count (module: string, declared: boolean, allowed: boolean, reason: ReasonCode): void {
    const label = declared ? module : UNKNOWN_MODULE
    let slots = this.#byModule.get(label)
    if (slots === undefined) slots = this.#slotsFor(label)
    const i = REASON_INDEX[reason] * 2 + (allowed ? 1 : 0)
    slots[i] = (slots[i] as number) + 1
  }

  #slotsFor (label: string): Float64Array {
    const folded = this.#byModule.size >= this.#maxModules && label !== UNKNOWN_MODULE ? OTHER_MODULES : label
    let slots = this.#byModule.get(folded)
    if (slots === undefined) this.#byModule.set(folded, slots = new Float64Array(DECISION_REASONS.length * 2))
    return slots
  }

  /** Every non-zero count. */
  * counts (): IterableIterator<DecisionCount> {
    for (const [module, slots] of this.#byModule) {
      for (let i = 0; i < slots.length; i++) {
        const count = slots[i] ?? 0
        if (count > 0) yield { module, reason: DECISION_REASONS[i >> 1] as ReasonCode, allowed: (i & 1) === 1, count }
      }
    }
  }
}

/**
 * A histogram with fixed upper bounds, in seconds: `counts[i]` holds the observations in
 * (bounds[i-1], bounds[i]], the last slot those above every bound (Prometheus's `+Inf`).
 */
export class Buckets {
  readonly bounds: readonly number[]
  readonly counts: Float64Array
  sum = 0
  count = 0

  constructor (bounds: readonly number[]) {
    this.bounds = bounds
    this.counts = new Float64Array(bounds.length + 1)
  }

  observe (value: number): void {
    const bounds = this.bounds
    let i = 0
    while (i < bounds.length && value > (bounds[i] as number)) i++
    this.counts[i] = (this.counts[i] as number) + 1
    this.sum += value
    this.count++
  }
}
