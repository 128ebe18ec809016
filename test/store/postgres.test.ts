import t from 'tap'
import { postgresBackend } from '../helpers/db.js'
import { storeConformance } from './conformance.js'

// TEST_DATABASE_URL, else a testcontainers PostgreSQL, else skipped with the reason.
await storeConformance(t, await postgresBackend())
