/**
 * A policy worker thread that fails on purpose (test/http/policy-workers.test.ts): a job
 * that names `crash` ends the thread, one that names `hang` blocks it for a minute;
 * any other job runs as on the real thread (src/service/policy-worker.ts).
 */
import { runPolicyJob } from '../../src/service/policy-jobs.js'
import type { PolicyJob } from '../../src/service/policy-jobs.js'
import { serveJobs } from '../../src/service/worker-pool.js'

serveJobs((job: PolicyJob) => {
  const text = JSON.stringify(job)
  if (text.includes('"crash"')) process.exit(3)
  if (text.includes('"hang"')) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 60_000)
  return runPolicyJob(job)
})
