/**
 * Per-tenant generation numbers: a cache shared by every tenant stamps each entry with its
 * tenant's generation, and forgetting a tenant is one increment instead of a walk over
 * the whole cache (another replica's write arrives as a notification for one tenant, on
 * the event loop that answers decisions). Entries of an older generation are void.
 */
export class TenantGenerations {
  readonly #generations = new Map<string, number>()

  of (tenantId: string): number {
    return this.#generations.get(tenantId) ?? 0
  }

  bump (tenantId: string): void {
    this.#generations.set(tenantId, this.of(tenantId) + 1)
  }
}
