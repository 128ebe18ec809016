/**
 * Where the `before` script leaves the migrated PGlite template, and the stamp that says
 * whether it is current. Kept apart from `db.ts`, which loads PGlite, pg and the store:
 * the `before` script runs at the start of every tap invocation, and when the template is
 * current (nearly always) it needs only these few lines, not seconds of module loading.
 */
import { createHash } from 'node:crypto'
import { readFile, readdir } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
const migrationsFolder = join(repoRoot, 'migrations')

/** Where the `before` script leaves the migrated PGlite data directory (a fixed path: env vars set in `before` do not reach test files). */
export const PGLITE_TEMPLATE = join(repoRoot, '.tap', 'pglite-template.tar')
/** Beside the template: the hash of what it was built from. */
export const PGLITE_TEMPLATE_STAMP = join(repoRoot, '.tap', 'pglite-template.stamp')

/** A hash of the migrations folder and the PGlite version: the template is rebuilt when it changes. */
export async function pgliteTemplateStamp (): Promise<string> {
  const hash = createHash('sha256')
  const pkg = createRequire(import.meta.url).resolve('@electric-sql/pglite')
  let dir = dirname(pkg)
  while (!(await readdir(dir)).includes('package.json') && dirname(dir) !== dir) dir = dirname(dir)
  hash.update(JSON.parse(await readFile(join(dir, 'package.json'), 'utf8')).version as string)
  const files = (await readdir(migrationsFolder, { recursive: true, withFileTypes: true }))
    .filter(e => e.isFile())
    .map(e => join(e.parentPath, e.name))
    .sort()
  for (const file of files) {
    hash.update(`\0${relative(migrationsFolder, file)}\0`)
    hash.update(await readFile(file))
  }
  return hash.digest('hex')
}
