/**
 * tap `before` script: builds the migrated PGlite data directory that every test file
 * loads (`test/helpers/db.ts`), so that no file runs initdb (2 s) or the migrations.
 * Skipped when the stamp (a hash of migrations/ and the PGlite version) is unchanged.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises'
import { dirname } from 'node:path'
// Only the stamp at first: PGlite and the store load (seconds) only when the template is rebuilt.
import { PGLITE_TEMPLATE, PGLITE_TEMPLATE_STAMP, pgliteTemplateStamp } from '../helpers/pglite-template-stamp.js'

const stamp = await pgliteTemplateStamp()
const previous = await readFile(PGLITE_TEMPLATE_STAMP, 'utf8').catch(() => undefined)
const haveTemplate = await readFile(PGLITE_TEMPLATE).then(() => true, () => false)

if (previous === stamp && haveTemplate) {
  console.log('# pglite template is up to date')
} else {
  const started = Date.now()
  const { PGlite } = await import('@electric-sql/pglite')
  const { migratePglite } = await import('../../src/store/connect.js')
  const client = await PGlite.create()
  await migratePglite(client)
  const dump = await client.dumpDataDir('none')
  await client.close()
  await mkdir(dirname(PGLITE_TEMPLATE), { recursive: true })
  // Written aside and renamed, so that no reader ever sees half a template.
  const tmp = `${PGLITE_TEMPLATE}.${process.pid}.tmp`
  await writeFile(tmp, Buffer.from(await dump.arrayBuffer()))
  await rename(tmp, PGLITE_TEMPLATE)
  await writeFile(PGLITE_TEMPLATE_STAMP, stamp)
  console.log(`# pglite template built in ${Date.now() - started} ms`)
}
