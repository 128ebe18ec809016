import t from 'tap'
import { pgliteBackend } from '../helpers/db.js'
import { storeConformance } from './conformance.js'

await storeConformance(t, pgliteBackend())
