/**
 * `npm start`'s build step (`prestart`): builds `dist/` only when it was not built from
 * the sources as they are now. A replica that restarts, or anyone who runs `npm start`
 * twice, starts in well under a second instead of waiting tens of seconds for `tsc`.
 *
 * "As they are now" is a SHA-256 over the path and content of every file under `src/`,
 * the two tsconfig files and `package-lock.json` (a new compiler version rebuilds), kept
 * in `dist/.sources.sha256` after a build that succeeded. Contents, not modification
 * times: a checkout, a copy or a `touch` changes times without changing what is built.
 * Hashing the sources takes a few milliseconds.
 *
 * Plain JavaScript run by `node`, so that the check itself loads no TypeScript loader.
 * `npm run build` builds unconditionally (the Dockerfile uses it) and leaves the stamp
 * as it was: the next `npm start` then rebuilds once, incrementally (`tsconfig.build.json`
 * keeps `dist/.tsbuildinfo`).
 */
import { spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const stampFile = join(root, 'dist', '.sources.sha256')
const entry = join(root, 'dist', 'src', 'main.js')

/** Every file under `dir`, depth first, in a fixed order. */
function filesUnder (dir) {
  return readdirSync(dir, { withFileTypes: true })
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .flatMap(d => (d.isDirectory() ? filesUnder(join(dir, d.name)) : d.isFile() ? [join(dir, d.name)] : []))
}

function sourcesHash () {
  const hash = createHash('sha256')
  const inputs = [...filesUnder(join(root, 'src')), ...['tsconfig.json', 'tsconfig.build.json', 'package-lock.json'].map(f => join(root, f)).filter(f => existsSync(f))]
  for (const file of inputs) {
    const content = readFileSync(file)
    // Path and length first: no two different file sets hash the same stream.
    hash.update(`${relative(root, file)}\0${content.length}\0`)
    hash.update(content)
  }
  return hash.digest('hex')
}

const wanted = sourcesHash()
const built = existsSync(stampFile) ? readFileSync(stampFile, 'utf8').trim() : undefined
if (built === wanted && existsSync(entry)) process.exit(0)

process.stderr.write(`gatehouse: ${built === undefined ? 'building dist/' : 'sources changed since dist/ was built, rebuilding'} (tsc -p tsconfig.build.json)\n`)
const tsc = spawnSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(root, 'tsconfig.build.json')], { stdio: 'inherit' })
if (tsc.status !== 0) process.exit(tsc.status ?? 1)
writeFileSync(stampFile, `${wanted}\n`)
