/**
 * Polls `probe` until it returns true, for at most `ms`, every `everyMs`: the result of
 * the last probe. For what another replica, a notification or a background refresh
 * makes true some time later; never a fixed sleep.
 */
export async function eventually (probe: () => Promise<boolean>, ms = 5000, everyMs = 10): Promise<boolean> {
  const end = Date.now() + ms
  for (;;) {
    if (await probe()) return true
    if (Date.now() > end) return false
    await new Promise(resolve => setTimeout(resolve, everyMs))
  }
}
