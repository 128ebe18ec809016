/**
 * Loading a policy test suite (docs/policy-tests.md): the text is parsed with source
 * positions, its structure checked by the suite's one definition (schema.ts: types,
 * unknown keys, empty and repeated entries), then what a schema cannot say (unknown
 * subjects, resources, modules, actions, roles and fields, contradictory expectations),
 * the bundle compiled and the subjects and resources checked against it. Every problem is
 * reported at once, each with its file, line and column; loading never throws on bad
 * input. No I/O: a bundle named by path is read through `options.readBundle`.
 *
 * The checks after the structure read the value leniently, as written: what is malformed
 * is the structure's issue, reported there, and skipped here.
 */
import type { CompiledPolicy, ConditionInputs, ReasonCode, ResourceFacts, Subject } from '../../engine/index.js'
import { checkSubject, compileBundle, inDocumentOrder, resourceFromProperties, subjectAttributesFromProperties } from '../../engine/index.js'
import type { ParsedSource, Position } from './source.js'
import { EXPECTABLE_REASONS, FIELDS_KEYS, suiteFormat } from './schema.js'
import { issuePosition, parseSource, sortIssues } from './source.js'
import type { CaseResource, Expectation, LoadedSuite, LoadOptions, LoadResult, SuiteCase, SuiteIssue } from './types.js'
import { child, isRecord, show } from '../json-text.js'

/** The id given to a resource sent inline without one. */
export const INLINE_RESOURCE_ID = '(inline)'

/** Reason codes of allowed decisions; every other code but `evaluation_error` is a deny's. */
const ALLOW_REASONS: ReadonlySet<string> = new Set<ReasonCode>(['owner', 'acl_allow', 'role_all', 'module_admin', 'role_grant', 'override_grant'])

/** A value as written, read leniently: an object's entries, else none. */
const entries = (value: unknown): Array<[string, unknown]> => isRecord(value) ? Object.entries(value) : []
/** A non-empty string, else `undefined` (what is not is the structure's issue). */
const text = (value: unknown): string | undefined => typeof value === 'string' && value !== '' ? value : undefined

/** Loads a suite from its YAML or JSON text. */
export function loadSuiteText (text: string, options: LoadOptions): LoadResult {
  const parsed = parseSource(text)
  if (!parsed.ok) {
    return {
      ok: false,
      issues: parsed.problems.map(p => ({ file: options.file, ...p.position, path: '', code: 'syntax_error', message: `invalid yaml: ${p.message}` }))
    }
  }
  return new SuiteLoader(options, parsed.source).load()
}

/** Loads a suite already parsed (a JSON request body): issues then have a path but no line. */
export function loadSuiteValue (value: unknown, options: LoadOptions): LoadResult {
  return new SuiteLoader(options, { value, locate: undefined }).load()
}

/** Where issues are reported: a file, and the positions of its parts when it was text. */
interface Place {
  file: string
  locate: ParsedSource['locate'] | undefined
}

interface DeclaredResource {
  index: number
  type: string
  id: string
  /** Absent when the policy is unknown (the bundle did not compile) or the properties are invalid. */
  facts?: ResourceFacts
}

/** One entry of a string-or-list value, with its own path. */
interface Entry {
  value: string
  path: string
}

interface CaseResourceRef {
  module: string
  typePath: string
  value?: CaseResource
}

/** One expectation of a case before expansion over subjects. */
interface Check {
  action: string
  expect: Expectation
  /** Where the expanded case is reported: the case, or the action's entry in a table row. */
  path: string
}

class SuiteLoader {
  readonly #options: LoadOptions
  readonly #suite: Place
  readonly #value: unknown
  readonly #issues: SuiteIssue[] = []
  #policy: CompiledPolicy | undefined
  readonly #subjectsById = new Map<string, Subject>()
  readonly #subjectsByAlias = new Map<string, Subject>()
  readonly #declared = new Map<string, Map<string, DeclaredResource>>()
  readonly #byLabel = new Map<string, DeclaredResource[]>()

  constructor (options: LoadOptions, source: { value: unknown, locate: ParsedSource['locate'] | undefined }) {
    this.#options = options
    this.#suite = { file: options.file, locate: source.locate }
    this.#value = source.value
  }

  load (): LoadResult {
    const structure = suiteFormat.check(this.#value)
    const top = this.#value
    // Required unless the suite runs against a given policy: what the definition cannot say. Reported first, as the definition orders the keys.
    if (isRecord(top) && top.bundle === undefined && this.#options.policy === undefined) {
      this.#add('/bundle', 'missing_property', 'the suite lacks required property `bundle`')
    }
    if (!structure.ok) for (const issue of structure.issues) this.#add(issue.path, issue.code, issue.message)
    // The format's root is an object: anything else is refused there, and names nothing.
    if (!isRecord(top)) return { ok: false, issues: this.#issues }
    const name = typeof top.name === 'string' ? top.name : undefined
    const bundleFile = this.#loadPolicy(top.bundle)
    this.#loadSubjects(top.subjects)
    this.#loadResources(top.resources)
    const cases = this.#loadCases(top.cases)
    const policy = this.#policy
    if (this.#issues.length > 0 || policy === undefined) return { ok: false, issues: this.#inOrder() }
    const resources = new Map<string, Map<string, ResourceFacts>>()
    for (const [module, byId] of this.#declared) {
      const facts = new Map<string, ResourceFacts>()
      for (const [id, declared] of byId) if (declared.facts !== undefined) facts.set(id, declared.facts)
      resources.set(module, facts)
    }
    const suite: LoadedSuite = { file: this.#options.file, policy, resources, cases }
    if (name !== undefined) suite.name = name
    if (bundleFile !== undefined) suite.bundleFile = bundleFile
    return { ok: true, suite }
  }

  // --- the bundle ---------------------------------------------------------------------

  /** Compiles the suite's bundle into `#policy`; returns the bundle's file when named by path. */
  #loadPolicy (bundle: unknown): string | undefined {
    if (this.#options.policy !== undefined) {
      this.#policy = this.#options.policy
      return undefined
    }
    if (typeof bundle === 'string') return this.#loadBundleFile(bundle)
    if (!isRecord(bundle)) return undefined
    const compiled = compileBundle(bundle)
    if (compiled.ok) this.#policy = compiled.policy
    else for (const issue of compiled.issues) this.#add(`/bundle${issue.path}`, issue.code, issue.message)
    return undefined
  }

  #loadBundleFile (path: string): string | undefined {
    const read = this.#options.readBundle
    if (path === '') return undefined
    if (read === undefined) {
      this.#add('/bundle', 'bundle_path_unsupported', `bundle \`${path}\` is a path, and no files can be read here: give the bundle inline`)
      return undefined
    }
    const file = read(path)
    if (!file.ok) {
      this.#add('/bundle', 'unreadable_file', `cannot read bundle \`${path}\`: ${file.message}`)
      return undefined
    }
    const parsed = parseSource(file.text)
    if (!parsed.ok) {
      for (const p of parsed.problems) this.#issues.push({ file: file.file, ...p.position, path: '', code: 'syntax_error', message: `invalid yaml: ${p.message}` })
      return file.file
    }
    const compiled = compileBundle(parsed.source.value)
    if (compiled.ok) {
      this.#policy = compiled.policy
    } else {
      const place: Place = { file: file.file, locate: parsed.source.locate }
      for (const issue of compiled.issues) this.#addAt(place, issue.path, issue.code, issue.message)
    }
    return file.file
  }

  // --- subjects -----------------------------------------------------------------------

  #loadSubjects (value: unknown): void {
    for (const [id, document] of entries(value)) {
      const at = child('/subjects', id)
      if (!isRecord(document)) continue
      // The subject document's structure is the engine's (checked with its references below).
      if (Object.hasOwn(document, 'id')) {
        this.#add(child(at, 'id'), 'unknown_property', `subject \`${id}\`: unknown property \`id\`: the entry's key is the subject id`)
      }
      const { id: _ignored, ...rest } = document
      const subject = { roles: [], ...rest, id } as unknown as Subject
      if (this.#policy !== undefined) {
        for (const issue of checkSubject(this.#policy, subject)) {
          if (issue.path !== '/id') this.#add(`${at}${issue.path}`, issue.code, `subject \`${id}\`: ${issue.message}`)
        }
      }
      this.#subjectsById.set(id, subject)
    }
    for (const [id, subject] of this.#subjectsById) {
      const aliases: unknown = subject.aliases
      if (!Array.isArray(aliases)) continue
      aliases.forEach((alias: unknown, i) => {
        if (typeof alias !== 'string' || alias === id) return
        const at = child(child(child('/subjects', id), 'aliases'), i)
        const other = this.#subjectsById.get(alias)
        const before = this.#subjectsByAlias.get(alias)
        if (other !== undefined) {
          this.#add(at, 'duplicate_alias', `alias \`${alias}\` of subject \`${id}\` is the id of subject \`${other.id}\``)
        } else if (before !== undefined && before !== subject) {
          this.#add(at, 'duplicate_alias', `alias \`${alias}\` of subject \`${id}\` already names subject \`${before.id}\``)
        } else {
          this.#subjectsByAlias.set(alias, subject)
        }
      })
    }
  }

  // --- stored resources ---------------------------------------------------------------

  #loadResources (value: unknown): void {
    if (!Array.isArray(value)) return
    value.forEach((doc: unknown, index) => {
      const at = child('/resources', index)
      if (!isRecord(doc)) return
      const type = text(doc.type)
      const id = text(doc.id)
      if (type === undefined || id === undefined) return
      let byId = this.#declared.get(type)
      if (byId === undefined) this.#declared.set(type, byId = new Map())
      const first = byId.get(id)
      if (first !== undefined) {
        this.#add(child(at, 'id'), 'duplicate_resource', `resource \`${type}/${id}\` is declared twice (\`resources[${first.index}]\` and \`resources[${index}]\`)`)
        return
      }
      const declared: DeclaredResource = { index, type, id }
      byId.set(id, declared)
      const label = `${type}/${id}`
      this.#byLabel.set(label, [...(this.#byLabel.get(label) ?? []), declared])
      const facts = this.#resourceFacts(type, id, doc.properties, at, `resource \`${label}\``)
      if (facts !== undefined) declared.facts = facts
    })
    for (const byId of this.#declared.values()) {
      for (const declared of byId.values()) {
        if (declared.facts !== undefined) this.#checkParent(declared.facts, child(child('/resources', declared.index), 'properties'))
      }
    }
  }

  /** Strictly validated properties of a stored or inline resource; `undefined` after an issue or without a policy. */
  #resourceFacts (type: string, id: string, properties: unknown, at: string, what: string): ResourceFacts | undefined {
    const policy = this.#policy
    if (policy === undefined) return undefined
    if (!policy.modules.has(type)) {
      this.#add(child(at, 'type'), 'unknown_module', `${what}: unknown module \`${type}\``)
      return undefined
    }
    const converted = resourceFromProperties(policy, type, id, properties, { strict: true })
    if (converted.ok) return converted.resource
    for (const issue of converted.issues) this.#add(`${at}/properties${issue.path}`, issue.code, `${what}: ${issue.message}`)
    return undefined
  }

  /** A `parent` must name a resource of the same module in the suite: a dangling one is a typo, not a test. */
  #checkParent (facts: ResourceFacts, propertiesPath: string): void {
    if (facts.parent === undefined || this.#declared.get(facts.module)?.has(facts.parent) === true) return
    this.#add(child(propertiesPath, 'parent'), 'unknown_parent',
      `parent \`${facts.parent}\` of \`${facts.module}/${facts.id}\` is not a resource of module \`${facts.module}\` in the suite`)
  }

  // --- cases --------------------------------------------------------------------------

  #loadCases (value: unknown): SuiteCase[] {
    if (!Array.isArray(value)) return []
    if (value.length === 0) this.#add('/cases', 'no_cases', 'the suite has no cases')
    return value.flatMap((entry: unknown, index) => this.#loadCase(entry, child('/cases', index)))
  }

  #loadCase (doc: unknown, at: string): SuiteCase[] {
    if (!isRecord(doc)) return []
    const before = this.#issues.length
    const name = text(doc.name)
    const says = this.#entries(doc.says, child(at, 'says')).map(e => e.value)
    const who = this.#who(doc, at)
    const resource = this.#caseResource(doc.resource, child(at, 'resource'))
    const checks = this.#checks(doc, at)
    const reason = this.#reason(doc.reason, child(at, 'reason'))
    const fields = this.#fields(doc.fields, child(at, 'fields'))
    const inputs = this.#inputs(doc, at)
    if (reason !== undefined) this.#checkReasonAgainst(reason, checks, child(at, 'reason'))
    if (fields !== undefined) this.#checkFieldsAgainst(doc, checks, child(at, 'fields'))
    if (resource !== undefined) this.#checkNames(resource.module, resource.typePath, checks, doc, at, reason, fields)
    const built = resource?.value
    if (this.#issues.length > before || built === undefined) return []

    const cases: SuiteCase[] = []
    for (const w of who) {
      for (const check of checks) {
        const label = `${w.label} ${check.expect === 'allow' ? 'may' : 'may not'} ${check.action} ${built.label}`
        const many = who.length * checks.length > 1
        const c: SuiteCase = {
          name: name === undefined ? label : many ? `${name}: ${label}` : name,
          path: check.path,
          ...this.#position(check.path),
          says,
          subjectRef: w.ref,
          subject: w.subject,
          action: check.action,
          resource: built,
          expect: check.expect
        }
        if (reason !== undefined) c.reason = reason
        if (inputs !== undefined) c.inputs = inputs
        // A deny carries no fields: in a table row, `fields` is checked on the `allow` actions.
        if (fields !== undefined && check.expect === 'allow') c.fields = fields
        cases.push(c)
      }
    }
    return cases
  }

  /**
   * What the case tells conditions besides subject and resource, as an AuthZEN request
   * would: `action_properties` (`action.properties`), `context`, and `subject_properties`
   * (`subject.properties`: declared subject attributes replace the stored ones, typed as
   * the bundle declares them; undeclared keys are ignored). `undefined` when none is given.
   */
  #inputs (doc: Record<string, unknown>, at: string): ConditionInputs | undefined {
    const inputs: { -readonly [K in keyof ConditionInputs]: ConditionInputs[K] } = {}
    if (isRecord(doc.action_properties)) inputs.actionProperties = doc.action_properties
    if (isRecord(doc.context)) inputs.context = doc.context
    if (isRecord(doc.subject_properties) && this.#policy !== undefined) {
      const path = child(at, 'subject_properties')
      const checked = subjectAttributesFromProperties(this.#policy, doc.subject_properties)
      if (checked.ok) {
        inputs.subjectAttributes = checked.attributes
      } else {
        for (const issue of checked.issues) this.#add(`${path}${issue.path}`, issue.code, `\`subject_properties\`: ${issue.message}`)
      }
    }
    return Object.keys(inputs).length === 0 ? undefined : inputs
  }

  /** The subjects of a case: suite subjects by id or alias, or one synthetic subject per `role`. */
  #who (doc: Record<string, unknown>, at: string): Array<{ ref: string, label: string, subject: Subject }> {
    if (doc.subject !== undefined && doc.role !== undefined) {
      this.#add(child(at, 'role'), 'invalid_value', 'a case names `subject` or `role`, not both')
      return []
    }
    if (doc.role !== undefined) {
      return this.#entries(doc.role, child(at, 'role')).flatMap(({ value: role, path }) => {
        if (this.#policy !== undefined && !this.#policy.roles.has(role)) {
          this.#add(path, 'unknown_role', `unknown role \`${role}\``)
          return []
        }
        return [{ ref: `role:${role}`, label: `role ${role}`, subject: { id: `role:${role}`, roles: [role] } }]
      })
    }
    if (doc.subject === undefined) {
      this.#add(child(at, 'subject'), 'missing_property', 'a case lacks required property `subject` (or `role`)')
      return []
    }
    return this.#entries(doc.subject, child(at, 'subject')).flatMap(({ value: ref, path }) => {
      const subject = this.#subjectsById.get(ref) ?? this.#subjectsByAlias.get(ref)
      if (subject === undefined) {
        this.#add(path, 'unknown_subject', `unknown subject \`${ref}\`: ${this.#knownSubjects()}`)
        return []
      }
      return [{ ref, label: ref, subject }]
    })
  }

  #knownSubjects (): string {
    const ids = [...this.#subjectsById.keys()]
    if (ids.length === 0) return 'the suite declares no subjects'
    const shown = ids.slice(0, 8).map(id => `\`${id}\``).join(', ')
    return `the suite declares ${shown}${ids.length > 8 ? `, and ${ids.length - 8} more` : ''}`
  }

  /**
   * The resource of a case (`value` absent when it cannot be built: invalid properties,
   * no policy), its module and the path where the module is written (for name checks).
   */
  #caseResource (value: unknown, at: string): CaseResourceRef | undefined {
    if (typeof value === 'string') return value === '' ? undefined : this.#storedByLabel(value, at)
    if (!isRecord(value)) return undefined
    const doc = value
    const type = text(doc.type)
    const id = text(doc.id)
    if (type === undefined || (doc.id !== undefined && id === undefined)) return undefined
    const typePath = child(at, 'type')
    const label = id === undefined ? `${type} (inline)` : `${type}/${id}`
    const resourceId = id ?? INLINE_RESOURCE_ID
    if (doc.properties !== undefined) {
      const policy = this.#policy
      if (policy === undefined) return { module: type, typePath }
      if (!policy.modules.has(type)) {
        // Decided as `module_unknown` (the check below insists that the case expects it).
        return { module: type, typePath, value: { kind: 'inline', facts: { module: type, id: resourceId, relations: {} }, label } }
      }
      const converted = resourceFromProperties(policy, type, resourceId, doc.properties, { strict: true })
      if (!converted.ok) {
        for (const issue of converted.issues) this.#add(`${at}/properties${issue.path}`, issue.code, `the resource of a case: ${issue.message}`)
        return { module: type, typePath }
      }
      this.#checkParent(converted.resource, child(at, 'properties'))
      return { module: type, typePath, value: { kind: 'inline', facts: converted.resource, label } }
    }
    // As over HTTP: without properties, a stored resource is looked up; one nothing stores has no properties.
    const stored = id === undefined ? undefined : this.#declared.get(type)?.get(id)
    if (stored !== undefined) {
      return stored.facts === undefined ? { module: type, typePath } : { module: type, typePath, value: { kind: 'stored', facts: stored.facts, label } }
    }
    return { module: type, typePath, value: { kind: 'unstored', facts: { module: type, id: resourceId, relations: {} }, label } }
  }

  #storedByLabel (label: string, at: string): CaseResourceRef | undefined {
    const matches = this.#byLabel.get(label) ?? []
    if (matches.length === 0) {
      const how = 'a `type/id` string names one of the suite\'s `resources`; write `{ type, id }` for a resource that is not stored'
      this.#add(at, 'unknown_resource', `unknown resource \`${label}\`: ${how}`)
      return undefined
    }
    if (matches.length > 1) {
      this.#add(at, 'ambiguous_resource', `resource \`${label}\` is ambiguous: it names ${matches.map(m => `\`${m.id}\` of module \`${m.type}\``).join(' and ')}; write \`{ type, id }\``)
      return undefined
    }
    const [match] = matches
    if (match === undefined) return undefined
    const facts = match.facts
    return facts === undefined ? { module: match.type, typePath: at } : { module: match.type, typePath: at, value: { kind: 'stored', facts, label } }
  }

  /** `action` + `expect`, or the `allow` / `deny` lists of a table row. */
  #checks (doc: Record<string, unknown>, at: string): Check[] {
    const single = doc.action !== undefined || doc.expect !== undefined
    const table = doc.allow !== undefined || doc.deny !== undefined
    if (single && table) {
      this.#add(child(at, doc.action !== undefined ? 'action' : 'expect'), 'invalid_value',
        'a case has either `action` and `expect`, or `allow` / `deny` lists, not both')
      return []
    }
    if (!single && !table) {
      this.#add(at, 'missing_property', 'a case needs `action` and `expect`, or `allow` / `deny` lists')
      return []
    }
    if (single) {
      if (doc.action === undefined) this.#add(child(at, 'action'), 'missing_property', 'a case lacks required property `action`')
      if (doc.expect === undefined) this.#add(child(at, 'expect'), 'missing_property', 'a case lacks required property `expect`')
      const action = text(doc.action)
      const expect = doc.expect === 'allow' || doc.expect === 'deny' ? doc.expect : undefined
      return action === undefined || expect === undefined ? [] : [{ action, expect, path: at }]
    }
    const allow = this.#entries(doc.allow, child(at, 'allow'))
    const deny = this.#entries(doc.deny, child(at, 'deny'))
    const allowed = new Set(allow.map(e => e.value))
    for (const e of deny) {
      if (allowed.has(e.value)) this.#add(e.path, 'conflicting_expectation', `action \`${e.value}\` is in both \`allow\` and \`deny\``)
    }
    return [
      ...allow.map(e => ({ action: e.value, expect: 'allow' as const, path: e.path })),
      ...deny.map(e => ({ action: e.value, expect: 'deny' as const, path: e.path }))
    ]
  }

  /** A reason must be one of the engine's (a reference to its catalogue; a non-string is the structure's issue). */
  #reason (value: unknown, at: string): ReasonCode | undefined {
    if (typeof value !== 'string') return undefined
    if (EXPECTABLE_REASONS.includes(value)) return value as ReasonCode
    this.#add(at, 'unknown_reason', `unknown reason ${show(value)}: expected one of ${EXPECTABLE_REASONS.map(c => `\`${c}\``).join(', ')}`)
    return undefined
  }

  #fields (value: unknown, at: string): SuiteCase['fields'] | undefined {
    if (!isRecord(value) || (value.visible === undefined && value.editable === undefined)) return undefined
    const fields: NonNullable<SuiteCase['fields']> = {}
    for (const key of FIELDS_KEYS) {
      if (value[key] !== undefined) fields[key] = this.#entries(value[key], child(at, key)).map(e => e.value)
    }
    return fields
  }

  /** An expected reason must be one that the expected decision can carry. */
  #checkReasonAgainst (reason: ReasonCode, checks: Check[], at: string): void {
    const gives: Expectation = ALLOW_REASONS.has(reason) ? 'allow' : 'deny'
    const clash = checks.find(c => c.expect !== gives)
    if (clash === undefined) return
    this.#add(at, 'conflicting_expectation',
      `reason \`${reason}\` comes with \`${gives}\`, but the case expects \`${clash.expect}\` for \`${clash.action}\`${checks.length > 1 ? ': split the row by expectation' : ''}`)
  }

  #checkFieldsAgainst (doc: Record<string, unknown>, checks: Check[], at: string): void {
    if (checks.length === 0 || checks.some(c => c.expect === 'allow')) return
    const why = doc.action === undefined ? 'this row has no `allow` list' : 'this case expects `deny`'
    this.#add(at, 'conflicting_expectation', `\`fields\` are checked on allowed decisions, and ${why}`)
  }

  /** Modules, actions and fields must be declared, unless the case tests exactly that. */
  #checkNames (
    moduleName: string, typePath: string, checks: Check[], doc: Record<string, unknown>, at: string,
    reason: ReasonCode | undefined, fields: SuiteCase['fields'] | undefined
  ): void {
    const policy = this.#policy
    if (policy === undefined) return
    const module = policy.modules.get(moduleName)
    if (module === undefined) {
      if (reason !== 'module_unknown') {
        this.#add(typePath, 'unknown_module', `unknown module \`${moduleName}\` (a case testing an unknown module expects reason \`module_unknown\`)`)
      }
      return
    }
    if (reason !== 'action_unknown') {
      for (const check of checks) {
        if (!module.actionIndex.has(check.action)) {
          const where = doc.action === undefined ? check.path : child(at, 'action')
          this.#add(where, 'unknown_action', `unknown action \`${check.action}\` in module \`${moduleName}\` (a case testing an unknown action expects reason \`action_unknown\`)`)
        }
      }
    }
    if (fields === undefined) return
    if (module.fields.length === 0) {
      this.#add(child(at, 'fields'), 'unknown_field', `module \`${moduleName}\` declares no fields`)
      return
    }
    const declared = new Set(module.fields.map(f => f.name))
    for (const key of FIELDS_KEYS) {
      fields[key]?.forEach((field, i) => {
        if (!declared.has(field)) this.#add(child(child(child(at, 'fields'), key), i), 'unknown_field', `unknown field \`${field}\` in module \`${moduleName}\``)
      })
    }
  }

  // --- reading as written ------------------------------------------------------------

  /**
   * The first occurrence of every non-empty string of a string-or-list value, each with its
   * path: what is malformed (another type, an empty or repeated entry) is the structure's issue.
   */
  #entries (value: unknown, path: string): Entry[] {
    if (typeof value === 'string') return value === '' ? [] : [{ value, path }]
    if (!Array.isArray(value)) return []
    const seen = new Set<string>()
    const found: Entry[] = []
    value.forEach((entry: unknown, i) => {
      if (typeof entry !== 'string' || entry === '' || seen.has(entry)) return
      seen.add(entry)
      found.push({ value: entry, path: child(path, i) })
    })
    return found
  }

  /** The issues in reading order: by file, then line; for a parsed value, in the order of the document. */
  #inOrder (): SuiteIssue[] {
    return sortIssues(this.#suite.locate === undefined ? inDocumentOrder(this.#value, this.#issues) : this.#issues)
  }

  #position (path: string): Partial<Position> {
    return this.#suite.locate === undefined ? {} : this.#suite.locate(path)
  }

  #add (path: string, code: string, message: string): void {
    this.#addAt(this.#suite, path, code, message)
  }

  #addAt (place: Place, path: string, code: string, message: string): void {
    const issue: SuiteIssue = { file: place.file, path, code, message }
    // An unknown key is shown at the key; anything else at the value it is about.
    if (place.locate !== undefined) Object.assign(issue, issuePosition(place.locate, path, code))
    this.#issues.push(issue)
  }
}
