/** What the engine benchmark times: one engine answering a prepared request set. */
export interface EngineUnderTest {
  /** Short name shown in the table. */
  name: string
  /** What exactly is measured, one line. */
  description: string
  /** Time spent preparing (compiling policies, building per-user structures), in milliseconds; not part of the timing. */
  setupMs: number
  /**
   * Answers requests `[0, count)` of the set, writing 1 (allowed) or 0 (denied) per
   * request into `out`. Returns the number of allowed answers (read by the caller, so
   * the work cannot be optimized away).
   */
  run: (out: Uint8Array, count: number) => number
}
