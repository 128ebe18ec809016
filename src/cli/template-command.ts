/**
 * `gatehouse template [NAME]`: without NAME, lists the shipped policy templates with
 * their description; with NAME, prints that template's bundle YAML to stdout, exactly as
 * shipped, so that `npx gatehouse template field-crew > bundle.yaml` starts a policy.
 * Exit status: 0, or 2 for an unknown NAME (with the list) or a wrong command line.
 */
import { listTemplates, loadTemplate } from '../service/templates.js'
import type { TemplateInfo } from '../service/templates.js'
import { parseCommandLine, UsageError } from './args.js'
import type { CliIo } from './io.js'

export const TEMPLATE_USAGE = `usage: gatehouse template [NAME]

Without NAME, lists the policy templates shipped with gatehouse. With NAME, prints the
template's bundle (YAML, with its comments) to stdout:

  npx gatehouse template field-crew > bundle.yaml

options:
  -h, --help  show this help

exit status: 0, or 2 for an unknown template or bad usage
`

export async function templateCommand (args: readonly string[], io: CliIo): Promise<number> {
  const parsed = parseCommandLine(args, { help: { type: 'boolean', short: 'h' } }, 'template')
  if (parsed.values.help === true) {
    io.stdout(TEMPLATE_USAGE)
    return 0
  }
  const [name, ...extra] = parsed.positionals
  if (extra.length > 0) throw new UsageError('template', `unexpected argument \`${extra[0] ?? ''}\`: name one template`)
  if (name === undefined) {
    io.stdout(templateList(listTemplates()))
    return 0
  }
  const template = loadTemplate(name)
  if (template === undefined) {
    io.stderr(`gatehouse template: unknown template \`${name}\`\n\n${templateList(listTemplates())}`)
    return 2
  }
  io.stdout(template.text.endsWith('\n') ? template.text : `${template.text}\n`)
  return 0
}

/** The templates, one paragraph each: name and description, then its roles. */
export function templateList (templates: readonly TemplateInfo[]): string {
  if (templates.length === 0) return 'no templates are installed\n'
  const width = Math.max(...templates.map(t => t.name.length))
  const lines = ['templates (print one with `gatehouse template NAME > bundle.yaml`):', '']
  for (const t of templates) {
    lines.push(`  ${t.name.padEnd(width)}  ${t.description}`)
    if (t.roles.length > 0) lines.push(`  ${''.padEnd(width)}  roles: ${t.roles.join(', ')}`)
  }
  return `${lines.join('\n')}\n`
}
