// `npm run bench [name…]`: runs the benchmarks and records their results in docs/benchmarks.md.
import { readFileSync, writeFileSync } from 'node:fs';
import { machine } from './measure.js';

const available = {
  policy: () => import('./policy/index.js'),
  ledger: () => import('./ledger/index.js'),
  server: () => import('./server/index.js'),
  'server-postgres': () => import('./server/postgres.js'),
  supply: () => import('./supply/index.js'),
  monitor: () => import('./monitor/index.js'),
  data: () => import('./data/index.js'),
  hooks: () => import('./hooks/index.js'),
  cli: () => import('./cli/index.js'),
  witness: () => import('./witness/index.js'),
  integrations: () => import('./integrations/index.js'),
  identity: () => import('./identity/index.js'),
  gitlab: () => import('./gitlab/index.js'),
};

const requested = process.argv.slice(2);
const names = requested.length > 0 ? requested : Object.keys(available);
const docsPath = new URL('../docs/benchmarks.md', import.meta.url);
let docs = readFileSync(docsPath, 'utf8');

for (const name of names) {
  const load = available[name];
  if (!load) {
    console.error(`unknown benchmark ${name}; available: ${Object.keys(available).join(', ')}`);
    process.exit(2);
  }
  console.error(`running bench/${name} …`);
  const { run } = await load();
  const markdown = await run({ log: (line) => console.error(`  ${line}`) });
  const stamp = `_Measured ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC on ${machine()}._`;
  const section = `<!-- bench:${name} -->\n${stamp}\n\n${markdown.trim()}\n<!-- /bench:${name} -->`;
  const pattern = new RegExp(`<!-- bench:${name} -->[\\s\\S]*?<!-- /bench:${name} -->`);
  docs = pattern.test(docs) ? docs.replace(pattern, section) : `${docs.trimEnd()}\n\n${section}\n`;
  console.log(section);
}
writeFileSync(docsPath, docs);
