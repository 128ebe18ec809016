/**
 * A copy of `record` with only the fields a decision lets the subject see: those in
 * `visible` and those in `keep` (the id, by default). `visible` undefined means the
 * module declares no fields, so nothing is masked.
 */
export function mask<T extends Record<string, unknown>> (record: T, visible: readonly string[] | undefined, keep: readonly string[] = ['id']): Partial<T> {
  if (visible === undefined) return { ...record }
  const allowed = new Set([...visible, ...keep])
  return Object.fromEntries(Object.entries(record).filter(([name]) => allowed.has(name))) as Partial<T>
}
