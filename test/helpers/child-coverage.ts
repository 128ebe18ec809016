/**
 * For a child process that runs the sources through tsx: tap tracks spawned children
 * whatever their env, and merging coverage of tsx's transpiled files with the test
 * process's made files shrink to one line or lose lines they cover. What a child runs is
 * covered by the in-process tests instead.
 */
export const NO_CHILD_COVERAGE = { _TAPJS_PROCESSINFO_COVERAGE_: '0' } as const
