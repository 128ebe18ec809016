'use strict'
/**
 * ts-node's transpiler for the tests (`tsconfig.tap.json`): esbuild instead of
 * TypeScript's own transpileModule. A test file that imports the app made ts-node
 * transpile every module of src/ with the TypeScript compiler, about 2.5 s of CPU per
 * test process; esbuild does it in a tenth of that. Types are checked by
 * `npm run typecheck`, never here. ts-node keeps the loader order tap needs (its hook
 * runs before tap's coverage recorder sees the source) and inlines the source map that
 * the coverage report follows back to the .ts lines.
 *
 * Each output is kept on disk under node_modules/.cache, keyed by a hash of the file's
 * name, its text and the options: about 100 test processes transpile the same 200
 * modules of src/, and a hit skips esbuild altogether (its worker thread and service
 * process are started on the first miss only). The output for a key never changes, so
 * the coverage report sees the same code and source maps as without the cache.
 */
const { createHash } = require('node:crypto')
const { mkdirSync, readFileSync, renameSync, writeFileSync } = require('node:fs')
const { join } = require('node:path')

const CACHE = join(__dirname, '..', '..', 'node_modules', '.cache', 'gatehouse-esbuild-transpiler')

/** TypeScript's ScriptTarget numbers (ES2015 = 2 ... ES2022 = 9, ESNext = 99) as esbuild names them. */
function esbuildTarget (target) {
  if (target === undefined || target === 99) return 'esnext'
  return `es${2013 + target}`
}

exports.create = function create ({ service }) {
  const options = service.config.options
  const target = esbuildTarget(options.target)
  // What changes the emitted JavaScript: with isolatedModules and verbatimModuleSyntax
  // (tsconfig.json) every file transpiles alone, as esbuild does.
  const tsconfigRaw = {
    compilerOptions: {
      verbatimModuleSyntax: options.verbatimModuleSyntax === true,
      // TypeScript's default: define semantics from ES2022 on.
      useDefineForClassFields: options.useDefineForClassFields ?? (options.target ?? 99) >= 9
    }
  }
  let esbuild
  const version = require('esbuild/package.json').version
  const optionsKey = JSON.stringify({ version, target, tsconfigRaw })
  return {
    transpile (input, { fileName }) {
      const key = createHash('sha256').update(optionsKey).update('\0').update(fileName).update('\0').update(input).digest('hex')
      const file = join(CACHE, `${key}.json`)
      try {
        return JSON.parse(readFileSync(file, 'utf8'))
      } catch {
        // Not cached yet (or unreadable): transpiled below.
      }
      esbuild ??= require('esbuild')
      const { code, map } = esbuild.transformSync(input, {
        loader: 'ts',
        format: 'esm',
        target,
        sourcemap: 'external',
        sourcefile: fileName,
        tsconfigRaw
      })
      const output = { outputText: code, sourceMapText: map }
      try {
        mkdirSync(CACHE, { recursive: true })
        // Written aside and renamed, so that a parallel test process never reads half an entry.
        const tmp = `${file}.${process.pid}.tmp`
        writeFileSync(tmp, JSON.stringify(output))
        renameSync(tmp, file)
      } catch {
        // A cache that cannot be written only costs the next process the transpiling.
      }
      return output
    }
  }
}
