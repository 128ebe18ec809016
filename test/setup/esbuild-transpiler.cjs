'use strict'
/**
 * ts-node's transpiler for the tests (`tsconfig.tap.json`): esbuild instead of
 * TypeScript's own transpileModule. A test file that imports the app made ts-node
 * transpile every module of src/ with the TypeScript compiler, about 2.5 s of CPU per
 * test process; esbuild does it in a tenth of that. Types are checked by
 * `npm run typecheck`, never here. ts-node keeps the loader order tap needs (its hook
 * runs before tap's coverage recorder sees the source) and inlines the source map that
 * the coverage report follows back to the .ts lines.
 */
const { transformSync } = require('esbuild')

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
  return {
    transpile (input, { fileName }) {
      const { code, map } = transformSync(input, {
        loader: 'ts',
        format: 'esm',
        target,
        sourcemap: 'external',
        sourcefile: fileName,
        tsconfigRaw
      })
      return { outputText: code, sourceMapText: map }
    }
  }
}
