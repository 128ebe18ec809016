/** The permissions CSV: RFC 4180 quoting, and no cell a spreadsheet would run as a formula. */
import t from 'tap'
import { permissionsCsv } from '../../src/service/index.js'

t.test('fields with separators, quotes or line breaks are quoted; formula-like values are neutralised', async t => {
  const csv = permissionsCsv({
    subject: '=HYPERLINK("x")',
    flags: [],
    cells: [
      { module: 'jobs', action: 'view', scope: ['a'], sources: ['r,1', 'say "hi"'], fields: { visible: ['line\nbreak'], editable: [] } },
      { module: 'jobs', action: 'edit', scope: 'all', when: "-1.0 < resource.amount && resource.status != 'locked'", sources: ['r'] }
    ],
    projects: { '+p': { flags: [], cells: [{ module: 'jobs', action: 'view', scope: 'all', sources: ['-x'] }] } }
  })
  t.equal(csv, [
    'subject,project,module,action,scope,when,sources,visible_fields,editable_fields',
    '"\'=HYPERLINK(""x"")",,jobs,view,a,,"r,1 say ""hi""","line\nbreak",',
    '"\'=HYPERLINK(""x"")",,jobs,edit,all,\'-1.0 < resource.amount && resource.status != \'locked\',r,,',
    '"\'=HYPERLINK(""x"")",\'+p,jobs,view,all,,\'-x,,',
    ''
  ].join('\r\n'))
})
