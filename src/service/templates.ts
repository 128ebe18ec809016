/**
 * The policy templates shipped with gatehouse (DESIGN.md §6): one folder per template
 * under the repository's `src/templates/`, holding `bundle.yaml`. Listed by
 * `gatehouse template` and `GET /v1/templates`, applied with `gatehouse template NAME >
 * bundle.yaml` and `PUT /v1/tenants/{tenant}/policy?template=NAME`.
 *
 * `tsc` does not copy `.yaml` files to `dist/`, so the folder is found by walking up from
 * this module to the folder holding `package.json` (the same from `src/service/` under
 * tsx or ts-node and from `dist/src/service/`), then `src/templates/` there. An image
 * that runs `dist/` must copy `src/templates/` beside it.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parse } from 'yaml'
import { deepFreeze, isRecord } from '../engine/index.js'
import { parseYamlText } from './bundle-text.js'

/** A template as listed. */
export interface TemplateInfo {
  /** The folder name: what `template=NAME` names. */
  name: string
  /** The first paragraph of the bundle's header comment, on one line; `''` without one. */
  description: string
  /** The roles the bundle declares, in its order; empty when the file cannot be parsed. */
  roles: string[]
}

/** A template with its bundle text, exactly as shipped (comments included). */
export interface Template extends TemplateInfo {
  /** The bundle file's absolute path. */
  file: string
  text: string
}

export interface TemplatesOptions {
  /** The templates folder; default: `findTemplatesFolder()`. */
  folder?: string
}

/** The file whose presence marks the repository root. */
const ROOT_MARKER = 'package.json'
const BUNDLE_FILE = 'bundle.yaml'
/** Template names: what a folder may be called to be listed (and what a caller may ask for). */
const TEMPLATE_NAME = /^[a-z0-9][a-z0-9_-]*$/

/**
 * The `src/templates/` folder of the nearest folder at or above `from` (this module's
 * folder by default) that holds `package.json` and such a folder. Throws when there is none:
 * that is an installation fault, not an input problem.
 */
export function findTemplatesFolder (from: string = dirname(fileURLToPath(import.meta.url))): string {
  let dir = resolve(from)
  for (;;) {
    const folder = join(dir, 'src', 'templates')
    if (existsSync(join(dir, ROOT_MARKER)) && existsSync(folder)) return folder
    const up = dirname(dir)
    if (up === dir) throw new Error(`no templates folder (src/templates beside ${ROOT_MARKER}) at or above ${from}`)
    dir = up
  }
}

/** Every template of the folder (sub-folders with a `bundle.yaml` and a valid name), sorted by name. */
export function listTemplates (options: TemplatesOptions = {}): TemplateInfo[] {
  return templateNames(options).map(name => {
    const { file: _file, text: _text, ...info } = loadTemplate(name, options) as Template
    return info
  })
}

/** The template named `name`, or `undefined` when no shipped template has that name. */
export function loadTemplate (name: string, options: TemplatesOptions = {}): Template | undefined {
  if (!TEMPLATE_NAME.test(name)) return undefined
  const folder = options.folder ?? findTemplatesFolder()
  const file = join(folder, name, BUNDLE_FILE)
  if (!existsSync(file)) return undefined
  const text = readFileSync(file, 'utf8')
  return { name, description: templateDescription(text, name), roles: declaredRoles(text), file, text }
}

/** The names of the shipped templates, sorted. */
export function templateNames (options: TemplatesOptions = {}): string[] {
  const folder = options.folder ?? findTemplatesFolder()
  return readdirSync(folder, { withFileTypes: true })
    .filter(entry => entry.isDirectory() && TEMPLATE_NAME.test(entry.name) && existsSync(join(folder, entry.name, BUNDLE_FILE)))
    .map(entry => entry.name)
    .sort((a, b) => a < b ? -1 : a > b ? 1 : 0)
}

/**
 * A bundle's description: the first paragraph of its leading `#` comment, on one line.
 * "gatehouse template `x` (what it is)." reads as "what it is".
 */
export function templateDescription (text: string, name: string): string {
  const lines: string[] = []
  for (const raw of text.replace(/^\uFEFF/, '').split(/\r?\n/)) {
    const line = raw.trim()
    if (!line.startsWith('#')) break
    const words = line.replace(/^#+\s?/, '').trim()
    if (words === '') {
      if (lines.length > 0) break
      continue
    }
    lines.push(words)
  }
  const paragraph = lines.join(' ')
  const prefix = `gatehouse template \`${name}\``
  if (!paragraph.startsWith(prefix)) return paragraph
  const rest = paragraph.slice(prefix.length).trim()
  const inner = /^\((.*)\)\.?$/s.exec(rest)
  return inner?.[1] ?? rest.replace(/^[:,-]\s*/, '')
}

function declaredRoles (text: string): string[] {
  try {
    const value: unknown = parse(text)
    if (typeof value !== 'object' || value === null || !('roles' in value)) return []
    const roles = (value as { roles: unknown }).roles
    return typeof roles === 'object' && roles !== null && !Array.isArray(roles) ? Object.keys(roles) : []
  } catch {
    // A shipped bundle that does not parse is a packaging fault; test/templates checks that each compiles.
    return []
  }
}

/** The shipped template names, quoted and comma-separated, for error messages. */
export function templateList (): string {
  return [...shippedTemplates().keys()].map(name => `\`${name}\``).join(', ')
}

/** A shipped template as the API serves it: parsed once, frozen, with its JSON text. */
export interface ShippedTemplate extends Template {
  /** The parsed bundle, deeply frozen: every tenant that imports the template shares it. */
  bundle: unknown
  /** The modules of the bundle, in the bundle's order. */
  modules: string[]
  /** The bundle as 2-space indented JSON, with a final newline. */
  json: string
}

let shipped: ReadonlyMap<string, ShippedTemplate> | undefined

/**
 * The templates shipped with gatehouse, by name in name order, read and parsed on first
 * use and then kept: they do not change while the process runs, and `GET /v1/templates`
 * is open to any key, so that reading and parsing them on each call (tens of
 * milliseconds) would let any tenant hold the event loop.
 */
export function shippedTemplates (): ReadonlyMap<string, ShippedTemplate> {
  if (shipped !== undefined) return shipped
  const templates = new Map<string, ShippedTemplate>()
  for (const name of templateNames()) {
    const template = loadTemplate(name)
    if (template === undefined) continue
    const bundle = deepFreeze(parseYamlText(template.text))
    const modules = isRecord(bundle) && isRecord(bundle.modules) ? Object.keys(bundle.modules) : []
    templates.set(name, { ...template, bundle, modules, json: `${JSON.stringify(bundle, null, 2)}\n` })
  }
  shipped = templates
  return templates
}
