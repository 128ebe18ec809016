/**
 * A policy impact report as text: `text` for people at a terminal, `markdown` for a
 * pull-request comment, `json` for machines (exactly the `PolicyDiff` value). Pure.
 */
import type {
  DeclaredNames, DefinitionChange, PermissionChange, PolicyDiff, RolePermission, RoleScope, SubjectChange, SubjectImpact, SubjectReach
} from './types.js'

export const DIFF_FORMATS = ['text', 'markdown', 'json'] as const
export type DiffFormat = typeof DIFF_FORMATS[number]

/** How the report names the two sides: file names for the CLI, `live policy` / `draft` for the API. */
export interface DiffLabels {
  before: string
  after: string
}

export function formatDiff (diff: PolicyDiff, format: DiffFormat, labels: DiffLabels): string {
  switch (format) {
    case 'text': return formatDiffText(diff, labels)
    case 'markdown': return formatDiffMarkdown(diff, labels)
    case 'json': return `${JSON.stringify(diff, null, 2)}\n`
    default: {
      const unknown: never = format
      return unknown
    }
  }
}

// --- words shared by text and markdown --------------------------------------------------

/** What a role scope reaches, in words. */
export function describeRoleScope (scope: RoleScope): string {
  switch (scope.kind) {
    case 'none': return 'no resources'
    case 'all': return 'all resources'
    case 'assigned': return `assigned (${scope.relations.join(', ')})`
    case 'relations': return `where ${scope.relations.join(' or ')}`
    case 'admin': return 'module admin'
    case 'all-role': return 'everything (all: true)'
    default: {
      const unknown: never = scope
      return unknown
    }
  }
}

/** Scope words narrowed by a condition: "all resources where `c`", "where creator and `c`". */
function narrowed (scope: string, when: string | undefined): string {
  if (when === undefined) return scope
  return `${scope}${scope.startsWith('where ') ? ' and' : ' where'} \`${when}\``
}

export function describePermission (p: RolePermission): string {
  if (!p.granted) return 'not granted'
  const scope = narrowed(describeRoleScope(p.scope), p.when)
  if (p.flags.length === 0) return scope
  const missing = p.missingFlags.length === 0 ? '' : `, not held by the role: ${p.missingFlags.join(', ')}`
  return `${scope}; needs ${p.flags.join(', ')}${missing}`
}

export function describeReach (r: SubjectReach): string {
  if (!r.allowed) return 'not allowed'
  const scope = narrowed(r.scope.kind === 'all' ? 'all resources' : `where ${r.scope.relations.join(' or ')}`, r.when)
  return r.custom ? `${scope} (custom)` : scope
}

const SIGNS: Record<string, string> = { gained: '+', lost: '-', changed: '~', unchanged: '=' }

function summaryLine (diff: PolicyDiff): string {
  const { permissions, fields, declarations, subjects } = diff.summary
  const parts = [
    `permissions: ${permissions.gained} gained, ${permissions.lost} lost, ${permissions.changed} changed`,
    `${plural(fields, 'field change')}`,
    `${plural(declarations, 'declaration change')}`
  ]
  if (subjects !== undefined) parts.push(`subjects: ${subjects.affected} of ${subjects.checked} affected`)
  return parts.join('; ')
}

function plural (n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`
}

/** The declaration changes, one line each, without sign: `added flag x`, `action jobs.delete: level full -> management`. */
function declarationLines (diff: PolicyDiff, name: (text: string) => string, arrow: string): string[] {
  const lines: string[] = []
  const names = (verb: string, n: DeclaredNames): void => {
    for (const f of n.flags) lines.push(`${verb} flag ${name(f)}`)
    for (const m of n.modules) lines.push(`${verb} module ${name(m)}`)
    for (const a of n.actions) lines.push(`${verb} action ${name(`${a.module}.${a.action}`)}`)
    for (const f of n.fields) lines.push(`${verb} field ${name(`${f.module}.${f.field}`)}`)
    for (const r of n.roles) lines.push(`${verb} role ${name(r)}`)
  }
  names('added', diff.added)
  names('removed', diff.removed)
  for (const d of diff.definitions) lines.push(definitionLine(d, name, arrow))
  return lines
}

function definitionLine (d: DefinitionChange, name: (text: string) => string, arrow: string): string {
  const list = (values: readonly string[]): string => values.length === 0 ? 'none' : values.join(', ')
  const condition = (when: string | undefined): string => when === undefined ? 'none' : `\`${when}\``
  const parts: string[] = []
  const compare = (what: string, a: string, b: string): void => { if (a !== b) parts.push(`${what} ${a} ${arrow} ${b}`) }
  switch (d.kind) {
    case 'action':
      compare('level', d.before.level, d.after.level)
      compare('flags', list(d.before.flags), list(d.after.flags))
      compare('when', condition(d.before.when), condition(d.after.when))
      return `action ${name(`${d.module}.${d.action}`)}: ${parts.join('; ')}`
    case 'field':
      compare('flags', list(d.before.flags), list(d.after.flags))
      return `field ${name(`${d.module}.${d.field}`)}: ${parts.join('; ')}`
    case 'module':
      compare('relations', list(d.before.relations), list(d.after.relations))
      compare('assigned', list(d.before.assigned), list(d.after.assigned))
      return `module ${name(d.module)}: ${parts.join('; ')}`
    case 'role':
      compare('all', String(d.before.all), String(d.after.all))
      compare('protected', String(d.before.protected), String(d.after.protected))
      compare('flags', list(d.before.flags), list(d.after.flags))
      return `role ${name(d.role)}: ${parts.join('; ')}`
    default: {
      const unknown: never = d
      return unknown
    }
  }
}

function permissionWords (p: PermissionChange): { before: string, after: string } {
  return { before: describePermission(p.before), after: describePermission(p.after) }
}

// --- text -------------------------------------------------------------------------------

export function formatDiffText (diff: PolicyDiff, labels: DiffLabels): string {
  const out: string[] = [`policy diff: ${labels.before} -> ${labels.after}`]
  if (!diff.changed) {
    out.push('no difference: both policies give the same permissions and field modes')
    if (diff.summary.subjects !== undefined) out.push(`subjects: none of ${diff.summary.subjects.checked} affected`)
    return `${out.join('\n')}\n`
  }
  out.push(summaryLine(diff))
  const declarations = declarationLines(diff, n => n, '->')
  if (declarations.length > 0) {
    out.push('', 'declarations:')
    for (const line of declarations) out.push(`  ${line}`)
  }
  if (diff.permissions.length > 0) {
    out.push('', 'permissions (role, module.action: before -> after):')
    out.push(...table(diff.permissions.map(p => {
      const w = permissionWords(p)
      return [`${SIGNS[p.change] ?? '?'} ${p.role}`, `${p.module}.${p.action}`, `${w.before} -> ${w.after}`]
    })))
  }
  if (diff.fields.length > 0) {
    out.push('', 'fields (role, module.field: before -> after):')
    out.push(...table(diff.fields.map(f => [`~ ${f.role}`, `${f.module}.${f.field}`, `${f.before} -> ${f.after}`])))
  }
  if (diff.subjects !== undefined && diff.subjects.length > 0) {
    out.push('', 'subjects (module.action: before -> after):')
    for (const impact of diff.subjects) out.push(...subjectTextLines(impact))
  }
  return `${out.join('\n')}\n`
}

function subjectTextLines (impact: SubjectImpact): string[] {
  const lines: string[] = []
  const rows = (changes: SubjectChange[]): string[] =>
    table(changes.map(c => [`${SIGNS[c.change] ?? '?'} ${c.module}.${c.action}`, `${describeReach(c.before)} -> ${describeReach(c.after)}`]), '    ')
  if (impact.changes.length > 0) lines.push(`  ${impact.subject}:`, ...rows(impact.changes))
  for (const p of impact.projects) lines.push(`  ${impact.subject}, in project ${p.project}:`, ...rows(p.changes))
  return lines
}

/** Rows with their columns padded to the widest cell (the last column is not padded). */
function table (rows: string[][], indent = '  '): string[] {
  const widths: number[] = []
  for (const row of rows) row.forEach((cell, i) => { widths[i] = Math.max(widths[i] ?? 0, cell.length) })
  return rows.map(row => indent + row.map((cell, i) => i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)).join('  '))
}

// --- markdown ---------------------------------------------------------------------------

export function formatDiffMarkdown (diff: PolicyDiff, labels: DiffLabels): string {
  const out: string[] = ['### gatehouse policy diff', '', `${code(labels.before)} → ${code(labels.after)}`, '']
  if (!diff.changed) {
    const subjects = diff.summary.subjects === undefined ? '' : ` None of ${diff.summary.subjects.checked} subjects is affected.`
    out.push(`**No difference**: both policies give the same permissions and field modes.${subjects}`)
    return `${out.join('\n')}\n`
  }
  out.push(`**${summaryLine(diff)}**`)
  const declarations = declarationLines(diff, code, '→')
  if (declarations.length > 0) {
    out.push('', '#### Declarations', '', ...declarations.map(l => `- ${l}`))
  }
  if (diff.permissions.length > 0) {
    out.push('', '#### Permissions', '', '| change | role | module | action | before | after |', '| --- | --- | --- | --- | --- | --- |')
    for (const p of diff.permissions) {
      const w = permissionWords(p)
      out.push(row([p.change, code(p.role), code(p.module), code(p.action), cell(w.before), cell(w.after)]))
    }
  }
  if (diff.fields.length > 0) {
    out.push('', '#### Fields', '', '| role | module | field | before | after |', '| --- | --- | --- | --- | --- |')
    for (const f of diff.fields) out.push(row([code(f.role), code(f.module), code(f.field), f.before, f.after]))
  }
  if (diff.subjects !== undefined && diff.subjects.length > 0) {
    out.push('', '#### Subjects', '', '| subject | project | change | module | action | before | after |', '| --- | --- | --- | --- | --- | --- | --- |')
    for (const impact of diff.subjects) {
      const changeRows = (project: string, changes: SubjectChange[]): void => {
        for (const c of changes) {
          out.push(row([code(impact.subject), project, c.change, code(c.module), code(c.action), cell(describeReach(c.before)), cell(describeReach(c.after))]))
        }
      }
      changeRows('(tenant-wide)', impact.changes)
      for (const p of impact.projects) changeRows(code(p.project), p.changes)
    }
  }
  return `${out.join('\n')}\n`
}

function row (cells: string[]): string {
  return `| ${cells.join(' | ')} |`
}

/** Plain words in a table cell: pipes escaped, line breaks flattened. */
function cell (text: string): string {
  return text.replace(/[\r\n]+/g, ' ').replaceAll('|', '\\|')
}

/** A code span that holds any text (backticks inside are fenced by longer runs) and stays inside a table cell. */
function code (text: string): string {
  const flat = cell(text)
  const longest = Math.max(0, ...[...flat.matchAll(/`+/g)].map(m => m[0].length))
  const fence = '`'.repeat(longest + 1)
  const pad = longest > 0 ? ' ' : ''
  return `${fence}${pad}${flat}${pad}${fence}`
}
