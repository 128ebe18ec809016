/** The worker thread of `policy-workers.ts`: runs the policy jobs it is sent (`policy-jobs.ts`). */
import { runPolicyJob } from './policy-jobs.js'
import { serveJobs } from './worker-pool.js'

serveJobs(runPolicyJob)
