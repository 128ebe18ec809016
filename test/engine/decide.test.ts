import t from 'tap'
import type { AclEntry, DecisionRequest, FieldAccess, ReasonCode, ResourceFacts, Subject } from '../../src/engine/index.js'
import { allowedActions, compileBundle, decide } from '../../src/engine/index.js'
import { richPolicy } from './fixtures/rich-bundle.js'

const policy = richPolicy()

interface Case {
  name: string
  /** `null`: no stored subject has the id. */
  subject: Subject | null
  subjectId?: string
  action: string
  resource: ResourceFacts
  ancestors?: ResourceFacts[]
  want: {
    allowed: boolean
    reason: ReasonCode
    /** Asserted when present; a deny never carries fields. */
    fields?: FieldAccess | 'none'
    /** Substrings the reason message must contain. */
    says?: string[]
  }
}

const sub = (id: string, roles: string[], extra: Partial<Subject> = {}): Subject => ({ id, roles, ...extra })
const res = (module: string, id: string, relations: Record<string, string[]> = {}, extra: { project?: string, parent?: string, acl?: AclEntry[] } = {}): ResourceFacts =>
  ({ module, id, relations, ...extra })

const job = (relations: Record<string, string[]> = {}, extra: { project?: string, parent?: string, acl?: AclEntry[] } = {}): ResourceFacts => res('jobs', 'j1', relations, extra)
const assignedJob = job({ assignee: ['u1'], creator: ['u2'] })
const unassignedJob = job({ assignee: ['u2'], creator: ['u2'] })
const doc = (acl?: AclEntry[], extra: { parent?: string } = {}): ResourceFacts =>
  res('documents', 'd1', { author: ['u2'] }, acl === undefined ? extra : { acl, ...extra })
const folder = (id: string, acl?: AclEntry[], project?: string): ResourceFacts =>
  ({ module: 'documents', id, relations: {}, ...(acl === undefined ? {} : { acl }), ...(project === undefined ? {} : { project }) })

const ALL_JOB_FIELDS = { visible: ['client_name', 'notes', 'phone', 'price'], editable: ['client_name', 'notes', 'phone', 'price'] }
const READ_PLAIN = { visible: ['client_name', 'notes'], editable: [] }
const EDIT_PLAIN = { visible: ['client_name', 'notes'], editable: ['client_name', 'notes'] }

const cases: Case[] = [
  // Step 1: the subject.
  { name: 'step 1: unknown subject is denied', subject: null, subjectId: 'ghost', action: 'view', resource: assignedJob, want: { allowed: false, reason: 'subject_unknown', says: ['`ghost`'] } },
  { name: 'step 1: unknown subject without a named id is denied', subject: null, action: 'view', resource: assignedJob, want: { allowed: false, reason: 'subject_unknown' } },
  { name: 'step 1: inactive subject is denied', subject: sub('u1', ['superuser'], { status: 'inactive' }), action: 'view', resource: assignedJob, want: { allowed: false, reason: 'subject_inactive', says: ['`u1`'] } },
  { name: 'step 1: inactive owner is denied', subject: sub('u1', [], { owner: true, status: 'inactive' }), action: 'view', resource: assignedJob, want: { allowed: false, reason: 'subject_inactive' } },
  { name: 'step 1: explicitly active subject is decided on', subject: sub('u1', ['employee'], { status: 'active', login: true }), action: 'view', resource: assignedJob, want: { allowed: true, reason: 'role_grant' } },
  { name: 'step 1: an unexpected status fails closed', subject: sub('u1', ['superuser'], { status: 'suspended' as 'inactive' }), action: 'view', resource: assignedJob, want: { allowed: false, reason: 'subject_inactive' } },
  { name: 'step 1: login false subject is denied', subject: sub('u1', ['superuser'], { login: false, owner: true }), action: 'view', resource: assignedJob, want: { allowed: false, reason: 'subject_login_disabled', says: ['`u1`'] } },

  // Step 1b: names the policy lacks.
  { name: 'step 1b: unknown module is denied, even to the owner', subject: sub('u1', [], { owner: true }), action: 'view', resource: res('trucks', 't1'), want: { allowed: false, reason: 'module_unknown', says: ['`trucks`'] } },
  { name: 'step 1b: unknown action is denied, even to the owner', subject: sub('u1', [], { owner: true }), action: 'lock', resource: assignedJob, want: { allowed: false, reason: 'action_unknown', says: ['`lock`', '`jobs`'] } },
  { name: 'step 1b: an inherited object member is not an action', subject: sub('u1', ['superuser']), action: 'constructor', resource: assignedJob, want: { allowed: false, reason: 'action_unknown' } },

  // Step 2: the owner.
  { name: 'step 2: owner is allowed without any role, every field visible and editable', subject: sub('boss', [], { owner: true }), action: 'delete', resource: unassignedJob, want: { allowed: true, reason: 'owner', fields: ALL_JOB_FIELDS, says: ['`boss`', '`delete`', '`jobs`'] } },
  { name: 'step 2: owner wins over an override deny', subject: sub('boss', [], { owner: true, overrides: { modules: { jobs: { deny: ['view'] } } } }), action: 'view', resource: assignedJob, want: { allowed: true, reason: 'owner' } },
  { name: 'step 2: owner wins over an ACL', subject: sub('boss', [], { owner: true }), action: 'edit', resource: doc([]), want: { allowed: true, reason: 'owner', fields: { visible: ['amount', 'title'], editable: ['amount', 'title'] } } },
  { name: 'step 2: owner on a module without fields gets no fields', subject: sub('boss', [], { owner: true }), action: 'approve', resource: res('invoices', 'i1'), want: { allowed: true, reason: 'owner', fields: 'none' } },

  // Step 3: override deny.
  { name: 'step 3: override deny beats a role grant', subject: sub('u1', ['manager'], { overrides: { modules: { jobs: { deny: ['edit'] } } } }), action: 'edit', resource: assignedJob, want: { allowed: false, reason: 'override_deny', says: ['`u1`', '`edit`', '`jobs`'] } },
  { name: 'step 3: override deny leaves other actions alone', subject: sub('u1', ['manager'], { overrides: { modules: { jobs: { deny: ['edit'] } } } }), action: 'view', resource: assignedJob, want: { allowed: true, reason: 'role_grant' } },
  { name: 'step 3: override deny beats module admin', subject: sub('u1', ['jobs_admin'], { overrides: { modules: { jobs: { deny: ['delete'] } } } }), action: 'delete', resource: assignedJob, want: { allowed: false, reason: 'override_deny' } },
  { name: 'step 3: override deny beats an all role', subject: sub('u1', ['superuser'], { overrides: { modules: { invoices: { deny: ['approve'] } } } }), action: 'approve', resource: res('invoices', 'i1'), want: { allowed: false, reason: 'override_deny' } },
  { name: 'step 3: override deny beats an ACL allow', subject: sub('u1', [], { overrides: { modules: { documents: { deny: ['view'] } } } }), action: 'view', resource: doc([{ who: 'u1', allow: ['view'] }]), want: { allowed: false, reason: 'override_deny' } },

  // Step 4: ACLs.
  { name: 'step 4: ACL entry naming the subject id allows', subject: sub('u1', []), action: 'view', resource: doc([{ who: 'u1', allow: ['view', 'edit'] }]), want: { allowed: true, reason: 'acl_allow', fields: { visible: ['title'], editable: [] }, says: ['`d1`', '`u1`', '`view`', '`documents`'] } },
  { name: 'step 4: ACL entry naming an alias allows', subject: sub('u1', [], { aliases: ['marie@example.com'] }), action: 'view', resource: doc([{ who: 'marie@example.com', allow: ['view'] }]), want: { allowed: true, reason: 'acl_allow' } },
  { name: 'step 4: ACL entry naming a group of the subject allows', subject: sub('u1', [], { groups: ['crew-a'] }), action: 'edit', resource: doc([{ who: 'group:crew-a', allow: ['view', 'edit'] }]), want: { allowed: true, reason: 'acl_allow' } },
  { name: 'step 4: ACL entry naming a role that applies allows', subject: sub('u1', ['observer']), action: 'view', resource: doc([{ who: 'role:observer', allow: ['view'] }]), want: { allowed: true, reason: 'acl_allow', fields: { visible: ['title'], editable: ['title'] } } },
  { name: 'step 4: ACL entry naming a project role applies in that project', subject: sub('u1', [], { projects: { 'site-12': ['observer'] } }), action: 'view', resource: res('documents', 'd1', {}, { project: 'site-12', acl: [{ who: 'role:observer', allow: ['view'] }] }), want: { allowed: true, reason: 'acl_allow' } },
  { name: 'step 4: ACL entry naming a project role does not match outside that project', subject: sub('u1', [], { projects: { 'site-12': ['observer'] } }), action: 'view', resource: res('documents', 'd1', {}, { project: 'site-13', acl: [{ who: 'role:observer', allow: ['view'] }] }), want: { allowed: false, reason: 'acl_deny', says: ['no entry matches'] } },
  { name: 'step 4: ACL entry naming a role the policy does not define matches nobody', subject: sub('u1', ['ghost']), action: 'view', resource: doc([{ who: 'role:ghost', allow: ['view'] }]), want: { allowed: false, reason: 'acl_deny' } },
  { name: 'step 4: ACL entry naming a group the subject is not in does not match', subject: sub('u1', [], { groups: ['crew-b'] }), action: 'view', resource: doc([{ who: 'group:crew-a', allow: ['view'] }]), want: { allowed: false, reason: 'acl_deny' } },
  { name: 'step 4: ACL entry `*` matches everyone', subject: sub('u7', []), action: 'view', resource: doc([{ who: '*', allow: ['view'] }]), want: { allowed: true, reason: 'acl_allow' } },
  { name: 'step 4: ACL deny of a matching entry beats the allow of another', subject: sub('u1', ['observer']), action: 'view', resource: doc([{ who: '*', allow: ['view'] }, { who: 'role:observer', deny: ['view'] }]), want: { allowed: false, reason: 'acl_deny', says: ['`role:observer` denies it'] } },
  { name: 'step 4: ACL with no matching entry allows nothing', subject: sub('u1', ['accountant']), action: 'view', resource: doc([{ who: 'u9', allow: ['view'] }]), want: { allowed: false, reason: 'acl_deny', says: ['no entry matches'] } },
  { name: 'step 4: ACL whose matching entries do not allow the action denies', subject: sub('u1', []), action: 'edit', resource: doc([{ who: 'u1', allow: ['view'] }]), want: { allowed: false, reason: 'acl_deny', says: ['no matching entry allows it'] } },
  { name: 'step 4: an empty ACL replaces the role grants and allows nothing', subject: sub('u1', ['accountant']), action: 'view', resource: doc([]), want: { allowed: false, reason: 'acl_deny' } },
  { name: 'step 4: ACL replaces levels: allows what the role level would not', subject: sub('u1', ['accountant']), action: 'delete', resource: doc([{ who: 'u1', allow: ['delete'] }]), want: { allowed: true, reason: 'acl_allow', fields: { visible: ['amount', 'title'], editable: [] } } },
  { name: 'step 4: ACL replaces flags: allows an action whose flag is missing', subject: sub('u1', []), action: 'delete', resource: job({}, { acl: [{ who: 'u1', allow: ['delete'] }] }), want: { allowed: true, reason: 'acl_allow', fields: { visible: ['client_name', 'notes'], editable: [] } } },
  { name: 'step 4: ACL fields follow every role grant that applies, whatever its scope', subject: sub('u1', ['employee']), action: 'edit', resource: job({}, { acl: [{ who: 'u1', allow: ['edit'] }] }), want: { allowed: true, reason: 'acl_allow', fields: READ_PLAIN } },
  { name: 'step 4: ACL fields follow an overridden level', subject: sub('u1', ['employee'], { overrides: { modules: { jobs: { level: 'full' } } } }), action: 'edit', resource: job({}, { acl: [{ who: 'u1', allow: ['edit'] }] }), want: { allowed: true, reason: 'acl_allow', fields: EDIT_PLAIN } },
  { name: 'step 4: ACL ignores override allow and access', subject: sub('u1', ['employee'], { overrides: { modules: { jobs: { access: 'all', allow: ['edit'] } } } }), action: 'edit', resource: job({ assignee: ['u1'] }, { acl: [{ who: 'u1', allow: ['view'] }] }), want: { allowed: false, reason: 'acl_deny' } },
  { name: 'step 4: ACL on the parent is inherited', subject: sub('u1', [], { groups: ['crew-a'] }), action: 'view', resource: doc(undefined, { parent: 'f1' }), ancestors: [folder('f1', [{ who: 'group:crew-a', allow: ['view'] }])], want: { allowed: true, reason: 'acl_allow', says: ['`f1`', 'inherited by `d1`'] } },
  { name: 'step 4: the nearest ancestor holding an ACL decides', subject: sub('u1', []), action: 'view', resource: doc(undefined, { parent: 'f1' }), ancestors: [folder('f1'), folder('f2', [{ who: 'u1', deny: ['view'] }]), folder('f3', [{ who: 'u1', allow: ['view'] }])], want: { allowed: false, reason: 'acl_deny', says: ['`f2`'] } },
  { name: 'step 4: an ancestor ACL further up applies when nearer ones have none', subject: sub('u1', []), action: 'view', resource: doc(undefined, { parent: 'f1' }), ancestors: [folder('f1'), folder('f2'), folder('f3', [{ who: 'u1', allow: ['view'] }])], want: { allowed: true, reason: 'acl_allow', says: ['`f3`'] } },
  { name: 'step 4: the resource ACL beats an ancestor ACL', subject: sub('u1', []), action: 'view', resource: doc([], { parent: 'f1' }), ancestors: [folder('f1', [{ who: 'u1', allow: ['view'] }])], want: { allowed: false, reason: 'acl_deny' } },
  { name: 'step 4: module admin ignores the ACL', subject: sub('u1', ['jobs_admin']), action: 'delete', resource: job({}, { acl: [] }), want: { allowed: true, reason: 'module_admin', fields: ALL_JOB_FIELDS, says: ['role `jobs_admin`'] } },
  { name: 'step 4: an all role ignores the ACL', subject: sub('u1', ['superuser']), action: 'delete', resource: doc([{ who: 'u1', deny: ['delete'] }]), want: { allowed: true, reason: 'role_all', fields: { visible: ['amount', 'title'], editable: ['amount', 'title'] }, says: ['role `superuser`'] } },
  { name: 'step 4: without an ACL the roles decide', subject: sub('u1', ['observer']), action: 'view', resource: doc(undefined, { parent: 'f1' }), ancestors: [folder('f1')], want: { allowed: false, reason: 'not_in_scope' } },

  // Step 5: access values.
  { name: 'step 5: access none reaches nothing', subject: sub('u1', ['blind']), action: 'view', resource: assignedJob, want: { allowed: false, reason: 'not_in_scope', says: ['role `blind`', 'no resources'] } },
  { name: 'step 5: access all reaches every resource', subject: sub('u1', ['manager']), action: 'view', resource: job(), want: { allowed: true, reason: 'role_grant', says: ['role `manager`', '`view`', '`jobs`', '`u1`'] } },
  { name: 'step 5: access assigned reaches the assignee (explicit assigned relations)', subject: sub('u1', ['employee']), action: 'view', resource: assignedJob, want: { allowed: true, reason: 'role_grant', fields: READ_PLAIN, says: ['role `employee` grants `view` on `jobs` to `u1`'] } },
  { name: 'step 5: access assigned reaches the responsible (explicit assigned relations)', subject: sub('u1', ['employee']), action: 'view', resource: job({ responsible: ['u1'] }), want: { allowed: true, reason: 'role_grant' } },
  { name: 'step 5: access assigned ignores relations outside the module assigned list', subject: sub('u1', ['employee']), action: 'view', resource: job({ creator: ['u1'] }), want: { allowed: false, reason: 'not_in_scope', says: ['`u1` is not in scope of any grant of `view` on `jobs` (role `employee` reaches assigned resources only)'] } },
  { name: 'step 5: access assigned means every relation when the module declares no assigned list', subject: sub('u1', ['requester']), action: 'view', resource: res('tickets', 't1', { creator: ['u1'] }), want: { allowed: true, reason: 'role_grant', fields: 'none' } },
  { name: 'step 5: access assigned does not reach an unrelated resource', subject: sub('u1', ['requester']), action: 'view', resource: res('tickets', 't1', { requester: ['u2'] }), want: { allowed: false, reason: 'not_in_scope' } },
  { name: 'step 5: access as a relation list reaches resources in those relations', subject: sub('u1', ['creator_only']), action: 'view', resource: job({ creator: ['u1'] }), want: { allowed: true, reason: 'role_grant' } },
  { name: 'step 5: access as a relation list ignores other relations', subject: sub('u1', ['creator_only']), action: 'view', resource: job({ assignee: ['u1'] }), want: { allowed: false, reason: 'not_in_scope', says: ['where it is `creator`'] } },
  { name: 'step 5: access as an empty relation list reaches nothing', subject: sub('u1', ['no_relation']), action: 'view', resource: assignedJob, want: { allowed: false, reason: 'not_in_scope', says: ['an empty relation list'] } },
  { name: 'step 5: a group of the subject appearing in a relation is in scope', subject: sub('u1', ['requester'], { groups: ['crew-a'] }), action: 'view', resource: res('tickets', 't1', { requester: ['u9', 'group:crew-a'] }), want: { allowed: true, reason: 'role_grant' } },
  { name: 'step 5: a bare group id in a relation does not name the group', subject: sub('u1', ['requester'], { groups: ['crew-a'] }), action: 'view', resource: res('tickets', 't1', { requester: ['crew-a'] }), want: { allowed: false, reason: 'not_in_scope' } },
  { name: 'step 5: an alias of the subject appearing in a relation is in scope', subject: sub('u1', ['employee'], { aliases: ['marie@example.com'] }), action: 'view', resource: job({ assignee: ['marie@example.com'] }), want: { allowed: true, reason: 'role_grant' } },

  // Step 5: levels, allow and deny.
  { name: 'step 5: level limited grants a limited action', subject: sub('u1', ['fieldy']), action: 'view', resource: job(), want: { allowed: true, reason: 'role_grant' } },
  { name: 'step 5: level limited does not grant a management action', subject: sub('u1', ['employee']), action: 'edit', resource: assignedJob, want: { allowed: false, reason: 'level_insufficient', says: ['needs level `management`', 'role `employee`', 'level `limited`'] } },
  { name: 'step 5: level management grants a limited action', subject: sub('u1', ['closer']), action: 'view', resource: job(), want: { allowed: true, reason: 'role_grant', fields: EDIT_PLAIN } },
  { name: 'step 5: level management grants a management action', subject: sub('u1', ['closer']), action: 'edit', resource: job(), want: { allowed: true, reason: 'role_grant', fields: EDIT_PLAIN } },
  { name: 'step 5: level management does not grant a full action', subject: sub('u1', ['closer']), action: 'create', resource: job(), want: { allowed: false, reason: 'level_insufficient', says: ['needs level `full`'] } },
  { name: 'step 5: level full grants a full action', subject: sub('u1', ['supervisor']), action: 'create', resource: job(), want: { allowed: true, reason: 'role_grant' } },
  { name: 'step 5: allow grants an action above the level', subject: sub('u1', ['employee']), action: 'punch', resource: assignedJob, want: { allowed: true, reason: 'role_grant' } },
  { name: 'step 5: allow stays within the access', subject: sub('u1', ['employee']), action: 'punch', resource: unassignedJob, want: { allowed: false, reason: 'not_in_scope' } },
  { name: 'step 5: a grant without level grants its allow actions', subject: sub('u1', ['noter']), action: 'note', resource: job(), want: { allowed: true, reason: 'role_grant', fields: READ_PLAIN } },
  { name: 'step 5: a grant without level grants nothing else', subject: sub('u1', ['noter']), action: 'view', resource: job(), want: { allowed: false, reason: 'level_insufficient', says: ['no level'] } },
  { name: 'step 5: deny beats the level', subject: sub('u1', ['manager']), action: 'delete', resource: job(), want: { allowed: false, reason: 'action_denied', says: ['role `manager` denies `delete` on `jobs` to `u1`'] } },
  { name: 'step 5: any granting role allows, even when another denies', subject: sub('u1', ['manager', 'supervisor']), action: 'delete', resource: job(), want: { allowed: true, reason: 'role_grant', says: ['role `supervisor`'] } },

  // Step 5: flags.
  { name: 'step 5: a missing flag denies', subject: sub('u1', ['fieldy']), action: 'quote', resource: job(), want: { allowed: false, reason: 'flag_missing', says: ['flag `manage_prices`', '`u1`', 'role `fieldy`'] } },
  { name: 'step 5: a flag held through the granting role allows', subject: sub('u1', ['manager']), action: 'quote', resource: job(), want: { allowed: true, reason: 'role_grant' } },
  { name: 'step 5: flags are the union over the roles', subject: sub('u1', ['fieldy', 'price_flag']), action: 'quote', resource: job(), want: { allowed: true, reason: 'role_grant', says: ['role `fieldy`'] } },
  { name: 'step 5: a flag held only in another project does not count', subject: sub('u1', ['fieldy'], { projects: { 'site-13': ['price_flag'] } }), action: 'quote', resource: job({}, { project: 'site-12' }), want: { allowed: false, reason: 'flag_missing' } },
  { name: 'step 5: a flag set by override allows', subject: sub('u1', ['fieldy'], { overrides: { flags: { manage_prices: true } } }), action: 'quote', resource: job(), want: { allowed: true, reason: 'role_grant' } },
  { name: 'step 5: a flag removed by override denies', subject: sub('u1', ['manager'], { overrides: { flags: { manage_prices: false } } }), action: 'quote', resource: job(), want: { allowed: false, reason: 'flag_missing' } },
  { name: 'step 5: an override of an undeclared flag changes nothing', subject: sub('u1', ['fieldy'], { overrides: { flags: { teleport: true } } }), action: 'quote', resource: job(), want: { allowed: false, reason: 'flag_missing' } },

  // Step 5: per-action scope.
  { name: 'step 5: a per-action scope replaces the access for that action', subject: sub('u1', ['closer']), action: 'close', resource: job({ creator: ['u1'] }), want: { allowed: true, reason: 'role_grant' } },
  { name: 'step 5: a per-action scope narrows that action', subject: sub('u1', ['closer']), action: 'close', resource: job({ assignee: ['u1'] }), want: { allowed: false, reason: 'not_in_scope', says: ['where it is `creator`'] } },
  { name: 'step 5: other actions keep the grant access', subject: sub('u1', ['closer']), action: 'edit', resource: job({ assignee: ['u9'] }), want: { allowed: true, reason: 'role_grant' } },

  // Step 5: project roles.
  { name: 'step 5: a project role applies in its project', subject: sub('u1', [], { projects: { 'site-12': ['site_operative'] } }), action: 'edit', resource: res('tickets', 't1', {}, { project: 'site-12' }), want: { allowed: true, reason: 'role_grant', says: ['role `site_operative`'] } },
  { name: 'step 5: a project role does not apply in another project', subject: sub('u1', [], { projects: { 'site-12': ['site_operative'] } }), action: 'edit', resource: res('tickets', 't1', {}, { project: 'site-13' }), want: { allowed: false, reason: 'no_grant' } },
  { name: 'step 5: a project role does not apply to a resource without project', subject: sub('u1', [], { projects: { 'site-12': ['site_operative'] } }), action: 'edit', resource: res('tickets', 't1'), want: { allowed: false, reason: 'no_grant' } },
  { name: 'step 5: a project role applies through the nearest ancestor with a project', subject: sub('u1', [], { projects: { 'site-12': ['site_operative'] } }), action: 'edit', resource: res('tickets', 't1', {}, { parent: 't0' }), ancestors: [res('tickets', 't0', {}, { parent: 't00' }), res('tickets', 't00', {}, { project: 'site-12' })], want: { allowed: true, reason: 'role_grant' } },
  { name: 'step 5: the resource project beats an ancestor project', subject: sub('u1', [], { projects: { 'site-12': ['site_operative'] } }), action: 'edit', resource: res('tickets', 't1', {}, { project: 'site-13', parent: 't0' }), ancestors: [res('tickets', 't0', {}, { project: 'site-12' })], want: { allowed: false, reason: 'no_grant' } },
  { name: 'step 5: a project named like an object member is just a project', subject: sub('u1', [], { projects: { 'site-12': ['site_operative'] } }), action: 'edit', resource: res('tickets', 't1', {}, { project: 'constructor' }), want: { allowed: false, reason: 'no_grant' } },
  { name: 'step 5: tenant-wide and project roles combine', subject: sub('u1', ['manager'], { projects: { 'site-12': ['site_operative'] } }), action: 'edit', resource: res('tickets', 't1', {}, { project: 'site-12' }), want: { allowed: true, reason: 'role_grant', says: ['role `site_operative`'] } },

  // Step 5: all and admin.
  { name: 'step 5: an all role grants every action of every module', subject: sub('u1', ['superuser']), action: 'approve', resource: res('invoices', 'i1'), want: { allowed: true, reason: 'role_all', fields: 'none' } },
  { name: 'step 5: an all role sees every field', subject: sub('u1', ['superuser']), action: 'view', resource: job(), want: { allowed: true, reason: 'role_all', fields: ALL_JOB_FIELDS } },
  { name: 'step 5: module admin grants every action whatever levels and flags', subject: sub('u1', ['jobs_admin']), action: 'delete', resource: job(), want: { allowed: true, reason: 'module_admin', fields: ALL_JOB_FIELDS } },
  { name: 'step 5: module admin applies to its module only', subject: sub('u1', ['jobs_admin']), action: 'view', resource: res('invoices', 'i1'), want: { allowed: false, reason: 'no_grant' } },
  { name: 'step 5: module admin ignores override access and level', subject: sub('u1', ['jobs_admin'], { overrides: { modules: { jobs: { access: 'none', level: 'limited' } } } }), action: 'create', resource: job(), want: { allowed: true, reason: 'module_admin' } },

  // Step 5: overrides on a module.
  { name: 'step 5: override access replaces the role access', subject: sub('u1', ['employee'], { overrides: { modules: { jobs: { access: 'all' } } } }), action: 'view', resource: unassignedJob, want: { allowed: true, reason: 'override_grant', says: ['override', 'role `employee`', '`view`', '`jobs`', '`u1`'] } },
  { name: 'step 5: override access none removes the role access', subject: sub('u1', ['manager'], { overrides: { modules: { jobs: { access: 'none' } } } }), action: 'view', resource: job(), want: { allowed: false, reason: 'not_in_scope' } },
  { name: 'step 5: override access replaces per-action scopes', subject: sub('u1', ['closer'], { overrides: { modules: { jobs: { access: 'all' } } } }), action: 'close', resource: job({ assignee: ['u1'] }), want: { allowed: true, reason: 'override_grant' } },
  { name: 'step 5: override access as a relation list', subject: sub('u1', ['employee'], { overrides: { modules: { jobs: { access: ['creator'] } } } }), action: 'view', resource: job({ creator: ['u1'] }), want: { allowed: true, reason: 'override_grant' } },
  { name: 'step 5: override access as a relation list drops the role access', subject: sub('u1', ['employee'], { overrides: { modules: { jobs: { access: ['creator'] } } } }), action: 'view', resource: assignedJob, want: { allowed: false, reason: 'not_in_scope' } },
  { name: 'step 5: override level raises the role level', subject: sub('u1', ['employee'], { overrides: { modules: { jobs: { level: 'management' } } } }), action: 'edit', resource: assignedJob, want: { allowed: true, reason: 'override_grant', fields: EDIT_PLAIN } },
  { name: 'step 5: override level lowers the role level', subject: sub('u1', ['manager'], { overrides: { modules: { jobs: { level: 'limited' } } } }), action: 'edit', resource: job(), want: { allowed: false, reason: 'level_insufficient' } },
  { name: 'step 5: override allow grants within the role access', subject: sub('u1', ['employee'], { overrides: { modules: { jobs: { allow: ['create'] } } } }), action: 'create', resource: assignedJob, want: { allowed: true, reason: 'override_grant' } },
  { name: 'step 5: override allow stays within the role access', subject: sub('u1', ['employee'], { overrides: { modules: { jobs: { allow: ['create'] } } } }), action: 'create', resource: unassignedJob, want: { allowed: false, reason: 'not_in_scope' } },
  { name: 'step 5: override allow lifts the role deny but flags are still required', subject: sub('u1', ['manager'], { overrides: { modules: { jobs: { allow: ['delete'] } } } }), action: 'delete', resource: job(), want: { allowed: false, reason: 'flag_missing', says: ['flag `delete_entities`'] } },
  { name: 'step 5: override allow lifts the role deny', subject: sub('u1', ['manager'], { overrides: { flags: { delete_entities: true }, modules: { jobs: { allow: ['delete'] } } } }), action: 'delete', resource: job(), want: { allowed: true, reason: 'override_grant' } },
  { name: 'step 5: an override allowing what the role grants anyway reports the role', subject: sub('u1', ['employee'], { overrides: { modules: { jobs: { allow: ['punch'] } } } }), action: 'punch', resource: assignedJob, want: { allowed: true, reason: 'role_grant' } },
  { name: 'step 5: an override allow naming an unknown action changes nothing', subject: sub('u1', ['employee'], { overrides: { modules: { jobs: { allow: ['teleport'] } } } }), action: 'edit', resource: assignedJob, want: { allowed: false, reason: 'level_insufficient' } },
  { name: 'step 5: an override on another module changes nothing here', subject: sub('u1', ['employee'], { overrides: { modules: { invoices: { access: 'all', level: 'full' } } } }), action: 'edit', resource: assignedJob, want: { allowed: false, reason: 'level_insufficient' } },
  { name: 'step 5: the override is a grant of its own where no role grants the module', subject: sub('u1', [], { overrides: { modules: { jobs: { access: 'all', allow: ['view'] } } } }), action: 'view', resource: job(), want: { allowed: true, reason: 'override_grant', fields: READ_PLAIN, says: ['a per-user override grants `view` on `jobs` to `u1`'] } },
  { name: 'step 5: the override own grant uses its level', subject: sub('u1', ['accountant'], { overrides: { modules: { jobs: { access: 'assigned', level: 'management' } } } }), action: 'edit', resource: assignedJob, want: { allowed: true, reason: 'override_grant', fields: EDIT_PLAIN } },
  { name: 'step 5: the override own grant uses its access', subject: sub('u1', ['accountant'], { overrides: { modules: { jobs: { access: 'assigned', level: 'management' } } } }), action: 'edit', resource: unassignedJob, want: { allowed: false, reason: 'not_in_scope', says: ['the per-user override reaches assigned resources only'] } },
  { name: 'step 5: the override own grant reaches nothing without access', subject: sub('u1', [], { overrides: { modules: { jobs: { level: 'full' } } } }), action: 'view', resource: assignedJob, want: { allowed: false, reason: 'not_in_scope', says: ['no resources'] } },
  { name: 'step 5: the override own grant without level grants only its allow', subject: sub('u1', [], { overrides: { modules: { jobs: { access: 'all', deny: ['delete'] } } } }), action: 'view', resource: assignedJob, want: { allowed: false, reason: 'level_insufficient' } },
  { name: 'step 5: an unvalidated override access fails closed', subject: sub('u1', ['manager'], { overrides: { modules: { jobs: { access: 'everything' as 'all', allow: 'view' as unknown as string[] } } } }), action: 'view', resource: job(), want: { allowed: false, reason: 'not_in_scope' } },
  { name: 'step 5: an unvalidated override level grants no level', subject: sub('u1', [], { overrides: { modules: { jobs: { access: 'all', level: 'max' as 'full' } } } }), action: 'view', resource: job(), want: { allowed: false, reason: 'level_insufficient' } },

  // Step 6: deny, with the most specific reason.
  { name: 'step 6: no role with a grant on the module gives no_grant', subject: sub('u1', ['idle']), action: 'view', resource: job(), want: { allowed: false, reason: 'no_grant', says: ['`u1`', '`view`', '`jobs`'] } },
  { name: 'step 6: a role the policy does not define grants nothing', subject: sub('u1', ['ghost']), action: 'view', resource: job(), want: { allowed: false, reason: 'no_grant' } },
  { name: 'step 6: a role the policy does not define does not hide the others', subject: sub('u1', ['ghost', 'manager']), action: 'view', resource: job(), want: { allowed: true, reason: 'role_grant' } },
  { name: 'step 6: a subject without roles gets no_grant', subject: sub('u1', []), action: 'view', resource: job(), want: { allowed: false, reason: 'no_grant' } },
  { name: 'step 6: not_in_scope is more specific than level_insufficient', subject: sub('u1', ['noter', 'blind']), action: 'view', resource: job(), want: { allowed: false, reason: 'not_in_scope' } },
  { name: 'step 6: flag_missing is more specific than level_insufficient', subject: sub('u1', ['noter', 'fieldy']), action: 'quote', resource: job(), want: { allowed: false, reason: 'flag_missing' } },
  { name: 'step 6: level_insufficient is more specific than action_denied', subject: sub('u1', ['manager', 'fieldy']), action: 'delete', resource: job(), want: { allowed: false, reason: 'level_insufficient', says: ['role `fieldy`'] } },

  // Fields.
  { name: 'fields: level limited reads every field whose flags are held', subject: sub('u1', ['employee']), action: 'view', resource: assignedJob, want: { allowed: true, reason: 'role_grant', fields: READ_PLAIN } },
  { name: 'fields: level full edits every field whose flags are held', subject: sub('u1', ['manager']), action: 'edit', resource: job(), want: { allowed: true, reason: 'role_grant', fields: { visible: ['client_name', 'notes', 'price'], editable: ['client_name', 'notes', 'price'] } } },
  { name: 'fields: explicit modes replace the level default', subject: sub('u1', ['fieldy']), action: 'view', resource: job(), want: { allowed: true, reason: 'role_grant', fields: { visible: ['notes'], editable: ['notes'] } } },
  { name: 'fields: a field whose flags are missing is hidden whatever its mode', subject: sub('u1', ['pricer']), action: 'view', resource: job(), want: { allowed: true, reason: 'role_grant', fields: { visible: ['client_name', 'notes', 'phone'], editable: [] } } },
  { name: 'fields: an explicit mode applies once the flag is held', subject: sub('u1', ['pricer', 'price_flag']), action: 'view', resource: job(), want: { allowed: true, reason: 'role_grant', fields: { visible: ['client_name', 'notes', 'phone', 'price'], editable: ['price'] } } },
  { name: 'fields: union over the granting roles', subject: sub('u1', ['fieldy', 'pricer']), action: 'view', resource: job(), want: { allowed: true, reason: 'role_grant', fields: { visible: ['client_name', 'notes', 'phone'], editable: ['notes'] } } },
  { name: 'fields: roles that do not grant the action do not count', subject: sub('u1', ['fieldy', 'employee']), action: 'view', resource: unassignedJob, want: { allowed: true, reason: 'role_grant', fields: { visible: ['notes'], editable: ['notes'] } } },
  { name: 'fields: a flag set by override reveals its fields', subject: sub('u1', ['manager'], { overrides: { flags: { view_personal_info: true } } }), action: 'view', resource: job(), want: { allowed: true, reason: 'role_grant', fields: ALL_JOB_FIELDS } },
  { name: 'fields: a denied decision carries no fields', subject: sub('u1', ['employee']), action: 'edit', resource: assignedJob, want: { allowed: false, reason: 'level_insufficient', fields: 'none' } }
]

t.test('decision table (docs/decisions/0001-decision-semantics.md)', async t => {
  for (const c of cases) {
    t.test(c.name, async t => {
      const request: DecisionRequest = { subject: c.subject ?? undefined, action: c.action, resource: c.resource }
      if (c.subjectId !== undefined) request.subjectId = c.subjectId
      if (c.ancestors !== undefined) request.ancestors = c.ancestors
      const d = decide(policy, request)
      t.equal(d.allowed, c.want.allowed, 'allowed')
      t.equal(d.reason.code, c.want.reason, `reason (${d.reason.message})`)
      if (c.want.fields === 'none') t.equal(d.fields, undefined, 'no fields')
      else if (c.want.fields !== undefined) t.same(d.fields, c.want.fields, 'fields')
      if (!d.allowed) t.equal(d.fields, undefined, 'a deny carries no fields')
      for (const s of c.want.says ?? []) t.ok(d.reason.message.includes(s), `message \`${d.reason.message}\` says \`${s}\``)
      t.notOk(/[\n.]$|^[A-Z]|\n/.test(d.reason.message), 'one lowercase line without final period')
    })
  }
})

t.test('every message after step 1b names the subject, the action and the module', async t => {
  for (const c of cases) {
    if (c.subject === null) continue
    const d = decide(policy, { subject: c.subject, action: c.action, resource: c.resource, ancestors: c.ancestors ?? [] })
    if (['subject_inactive', 'subject_login_disabled', 'module_unknown', 'action_unknown'].includes(d.reason.code)) continue
    const m = d.reason.message
    t.ok(m.includes(`\`${c.subject.id}\``) && m.includes(`\`${c.action}\``) && m.includes(`\`${c.resource.module}\``), `${c.name}: ${m}`)
  }
})

t.test('allowedActions lists exactly the actions decide allows', async t => {
  for (const c of cases) {
    const module = policy.modules.get(c.resource.module)
    const listed = allowedActions(policy, c.subject ?? undefined, c.resource, c.ancestors)
    const expected = (module?.actions ?? []).filter(action =>
      decide(policy, { subject: c.subject ?? undefined, action, resource: c.resource, ancestors: c.ancestors ?? [] }).allowed)
    t.same(listed, expected, c.name)
  }
  t.same(allowedActions(policy, sub('boss', [], { owner: true }), res('invoices', 'i1')), ['view', 'edit', 'approve'], 'the owner may do every action')
  t.same(allowedActions(policy, undefined, res('invoices', 'i1')), [], 'an unknown subject may do nothing')
  t.same(allowedActions(policy, sub('u1', ['superuser'], { login: false }), res('invoices', 'i1')), [], 'a login: false subject may do nothing')
  t.same(allowedActions(policy, sub('u1', ['superuser']), res('trucks', 't1')), [], 'nothing on an unknown module')
  t.same(allowedActions(policy, sub('u1', ['employee']), assignedJob), ['view', 'note', 'punch'], 'employee on an assigned job')
})

t.test('decide is total on malformed subjects and resources', async t => {
  const odd = {
    id: 'u1',
    roles: 'manager',
    aliases: null,
    groups: 7,
    projects: ['x'],
    overrides: { flags: [], modules: { jobs: 'all' } }
  } as unknown as Subject
  const d = decide(policy, { subject: odd, action: 'view', resource: { module: 'jobs', id: 'j1', relations: { assignee: 'u1' } as unknown as Record<string, string[]> } })
  t.same([d.allowed, d.reason.code], [false, 'no_grant'])
  const acl = decide(policy, { subject: sub('u1', ['employee']), action: 'view', resource: job({}, { acl: [null, { who: 5 }, { who: 'u1', allow: 'view' }] as unknown as AclEntry[] }) })
  t.same([acl.allowed, acl.reason.code], [false, 'acl_deny'])
  const noAncestors = decide(policy, { subject: sub('u1', ['manager']), action: 'view', resource: job(), ancestors: undefined })
  t.equal(noAncestors.allowed, true)
})

t.test('bitsets hold modules with more than 32 actions and policies with more than 32 flags', async t => {
  const actions = Object.fromEntries(Array.from({ length: 70 }, (_, i) => [`a${i}`, { level: i < 40 ? 'limited' : 'full', flags: i === 69 ? ['f65'] : [] }]))
  const flags = Object.fromEntries(Array.from({ length: 66 }, (_, i) => [`f${i}`, `flag ${i}`]))
  const compiled = compileBundle({
    version: 1,
    flags,
    modules: { big: { actions } },
    roles: { low: { modules: { big: { access: 'all', level: 'limited', allow: ['a45'], deny: ['a39'] } } }, holder: { flags: ['f65'] } }
  })
  if (!compiled.ok) throw new Error(JSON.stringify(compiled.issues))
  const p = compiled.policy
  const r = res('big', 'b1')
  const low = allowedActions(p, sub('u1', ['low']), r)
  t.same(low, [...Array.from({ length: 39 }, (_, i) => `a${i}`), 'a45'])
  t.equal(decide(p, { subject: sub('u1', ['low'], { overrides: { modules: { big: { level: 'full' } } } }), action: 'a69', resource: r }).reason.code, 'flag_missing')
  t.equal(decide(p, { subject: sub('u1', ['low', 'holder'], { overrides: { modules: { big: { level: 'full' } } } }), action: 'a69', resource: r }).reason.code, 'override_grant')
  t.equal(decide(p, { subject: sub('u1', ['low', 'holder'], { overrides: { flags: { f65: false }, modules: { big: { level: 'full' } } } }), action: 'a69', resource: r }).reason.code, 'flag_missing')
})
