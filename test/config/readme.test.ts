import { readFileSync } from 'node:fs'
import t from 'tap'
import { readmePath, withTable } from '../../config/readme-table.js'

t.test('README settings table matches the setting definitions', async (t) => {
  const readme = readFileSync(readmePath, 'utf8')
  t.equal(readme, withTable(readme), 'run `npm run docs:settings` to regenerate it')
})
