// bench/server-postgres: only the PostgreSQL rows of bench/server (one replica at 500/s and flat out,
// two replicas, the cross-replica wake-up), with the bare Fastify ceiling measured in the same run,
// so that a run on a loaded machine can still be read as a ratio to that ceiling.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fmt } from '../measure.js';
import { startProcess } from '../processes.js';
import { body, load, postgresRows, row } from './index.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

export async function run({ log }) {
  const dir = mkdtempSync(join(tmpdir(), 'arbiter-bench-pg-'));
  try {
    const load1 = readFileSync('/proc/loadavg', 'utf8').split(' ')[0];
    const postgres = await postgresRows(dir, body, log);
    const bare = await startProcess(
      [join(root, 'bench', 'server', 'bare.js')],
      /listening on (http:\/\/\S+)/,
    );
    const ceiling = await load(bare.url, undefined, body);
    bare.child.kill('SIGTERM');
    const ceilingRate = ceiling['2xx'] / ceiling.duration;
    log(`bare: ${fmt.rate(ceilingRate)}/s`);
    const load2 = readFileSync('/proc/loadavg', 'utf8').split(' ')[0];
    return `## Server on PostgreSQL (\`bench/server-postgres\`)

The PostgreSQL rows of \`bench/server\` alone, then the bare Fastify route, in the same run (load average
${load1} before, ${load2} after; ratios to the bare route are what compares across runs on a busy machine).

| server | offered load | decisions/s | p50 ms | p99 ms | errors |
| --- | --- | ---: | ---: | ---: | ---: |
${postgres.rows.join('\n')}
${row('bare Fastify route (ceiling)', 'as fast as it goes', ceiling)}

${postgres.wakeups}`;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
