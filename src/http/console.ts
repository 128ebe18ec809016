/**
 * `/console/`: the admin console (docs/console/, README "Admin console"). Static files
 * only: the page (`console/` at the package root) and the two browser modules it imports,
 * Preact and htm, straight from node_modules, so that there is no build step. The page
 * is public because it holds no tenant data; every call it makes goes to the public API
 * with the key the user pasted.
 */
import { createHash } from 'node:crypto'
import { existsSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import fastifyStatic from '@fastify/static'
import type { FastifyInstance, FastifyReply } from 'fastify'

const require = createRequire(import.meta.url)

/** The `console/` folder: beside `src/` in the repository, beside `dist/` once built. */
function consoleRoot (): string {
  let dir = dirname(fileURLToPath(import.meta.url))
  for (;;) {
    const candidate = join(dir, 'console')
    if (existsSync(join(candidate, 'index.html'))) return candidate
    const up = dirname(dir)
    // INVARIANT: the package ships `console/` (package files, Dockerfile).
    if (up === dir) throw new Error('the console files (console/index.html) are missing')
    dir = up
  }
}

/**
 * The Content-Security-Policy of the console: its own scripts and styles only, plus the
 * one inline script an import map must be, allowed by its hash; no framing, no forms
 * posting elsewhere, no referrer (a tenant id in a hash route stays in the page).
 */
export function consoleSecurityHeaders (indexHtml: string): Record<string, string> {
  const importMap = /<script type="importmap">([\s\S]*?)<\/script>/.exec(indexHtml)?.[1] ?? ''
  const hash = createHash('sha256').update(importMap).digest('base64')
  return {
    'content-security-policy': `default-src 'none'; script-src 'self' 'sha256-${hash}'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`,
    'referrer-policy': 'no-referrer',
    'x-content-type-options': 'nosniff',
    'cache-control': 'no-cache'
  }
}

export async function consoleRoutes (app: FastifyInstance): Promise<void> {
  const root = consoleRoot()
  const headers = consoleSecurityHeaders(readFileSync(join(root, 'index.html'), 'utf8'))
  const setHeaders = (reply: FastifyReply): void => { reply.headers(headers) }
  await app.register(fastifyStatic, { root, prefix: '/console/', index: 'index.html', redirect: true, wildcard: false, setHeaders })
  // Only the three ES modules (and their source maps), each under its own file name.
  const vendor = [
    dirname(require.resolve('preact')),
    dirname(require.resolve('preact/hooks')),
    dirname(require.resolve('htm'))
  ]
  await app.register(fastifyStatic, { root: vendor, prefix: '/console/vendor/', decorateReply: false, wildcard: false, allowedPath: path => /^\/(preact|hooks|htm)\.mjs(\.map)?$/.test(path), setHeaders })
}
