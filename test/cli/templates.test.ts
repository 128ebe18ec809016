/**
 * src/service/templates.ts: finding the templates folder from the sources and from a
 * compiled `dist/`, listing templates, reading their descriptions, refusing names that
 * are not shipped templates.
 */
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import { findTemplatesFolder, listTemplates, loadTemplate, templateDescription, templateNames } from '../../src/service/templates.js'

const repoRoot = fileURLToPath(new URL('../../', import.meta.url))

t.test('the folder is found from src/service (tsx, ts-node) and from dist/src/service (after tsc)', async t => {
  const expected = join(repoRoot, 'src', 'templates')
  t.equal(findTemplatesFolder(), expected)
  t.equal(findTemplatesFolder(join(repoRoot, 'src', 'service')), expected)
  t.equal(findTemplatesFolder(join(repoRoot, 'dist', 'src', 'service')), expected)
})

t.test('the nearest package folder with src/templates wins; none at all throws', async t => {
  const dir = t.testdir({
    'package.json': '{}',
    src: { templates: { demo: { 'bundle.yaml': 'version: 1\nmodules: {}\nroles: {}\n' } } },
    dist: { src: { service: {} } }
  })
  t.equal(findTemplatesFolder(join(dir, 'dist', 'src', 'service')), join(dir, 'src', 'templates'))
  t.throws(() => findTemplatesFolder('/'), /no templates folder/)
})

t.test('only folders with a valid name and a bundle.yaml are templates', async t => {
  const bundle = '# gatehouse template `b` (a demo: two roles).\n#\n# details\nversion: 1\nmodules: {}\nroles: { x: {}, y: {} }\n'
  const dir = t.testdir({
    b: { 'bundle.yaml': bundle, 'suite.yaml': 'cases: []\n' },
    a: { 'bundle.yaml': '# A plain description\n# over two lines.\nversion: 1\nmodules: {}\nroles: {}\n' },
    'no-bundle': { 'suite.yaml': '' },
    'Bad Name': { 'bundle.yaml': bundle },
    'README.md': '# Templates\n'
  })
  t.same(templateNames({ folder: dir }), ['a', 'b'])
  t.same(listTemplates({ folder: dir }), [
    { name: 'a', description: 'A plain description over two lines.', roles: [] },
    { name: 'b', description: 'a demo: two roles', roles: ['x', 'y'] }
  ])
  const b = loadTemplate('b', { folder: dir })
  t.equal(b?.text, bundle)
  t.equal(b?.file, join(dir, 'b', 'bundle.yaml'))
  for (const name of ['no-bundle', 'Bad Name', '../b', 'b/', '', 'README.md', 'constructor']) {
    t.equal(loadTemplate(name, { folder: dir }), undefined, `\`${name}\` is no template`)
  }
})

t.test('descriptions come from the first paragraph of the header comment', async t => {
  t.equal(templateDescription('version: 1\n', 'x'), '', 'no comment, no description')
  t.equal(templateDescription('\uFEFF#\n# gatehouse template `x`: the x policy\n# in short.\n#\n# more\n', 'x'), 'the x policy in short.')
  t.equal(templateDescription('# gatehouse template `y` (the y policy).\n', 'x'), 'gatehouse template `y` (the y policy).', 'another name is kept as written')
})

t.test('every shipped template has a description and roles', async t => {
  for (const template of listTemplates()) {
    t.not(template.description, '', `${template.name} has a description`)
    t.ok(template.roles.length > 0, `${template.name} declares roles`)
  }
})
