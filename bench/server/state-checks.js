// bench/server/state-checks: what the ledger-backed state checks (issue 17) cost per step, in
// process on an SQLite file: a token proven against its token.created entry (first time in a
// process, then cached), a decision's state proven against its entries (first time, then with the
// entries' proofs cached). Runnable alone: `node bench/server/state-checks.js` (after a build).
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startArbiter } from '../../dist/app/arbiter.js';
import { LedgerFacts } from '../../dist/app/ledger/ledger-facts.js';
import { StateChecks } from '../../dist/app/ledger/state-checks.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

async function timeEach(count, step) {
  const started = process.hrtime.bigint();
  for (let i = 0; i < count; i++) await step(i);
  return Number(process.hrtime.bigint() - started) / 1e6 / count;
}

/** Measures the checks over a ledger of about `decisions` decisions; returns Markdown. */
export async function measureStateChecks({ log = () => {}, decisions = 5_000 } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'arbiter-bench-state-'));
  try {
    cpSync(join(root, 'examples', 'policies'), join(dir, 'policies'), { recursive: true });
    const arbiter = await startArbiter({
      databaseUrl: `sqlite:${join(dir, 'arbiter.db')}`,
      ledgerKeyPath: join(dir, 'ledger.key'),
      policyDir: join(dir, 'policies'),
      logger: { warn() {}, error() {} },
    });
    try {
      const agent = { tokenId: 'tok_bench', role: 'agent', systemId: 'deploy-bot', groups: [] };
      const body = (i) => ({
        action: 'deploy',
        resource: { type: 'service', id: `svc-${i}`, environment: 'staging' },
        change: { linesChanged: 40 },
        rationale: 'benchmark deploy to staging',
        confidence: 0.97,
      });
      for (let i = 0; i < decisions; i++) await arbiter.decisions.request(agent, body(i));
      const tokens = [];
      for (let i = 0; i < 200; i++)
        tokens.push(
          (await arbiter.tokens.create({ role: 'approver', user: `user-${i}`, groups: ['sre'] }, 'bench'))
            .row,
        );
      await arbiter.checkpointIfGrown();
      const size = await arbiter.store.ledger.size();
      const rows = await arbiter.store.listDecisions({ limit: 200 });
      const approvals = await Promise.all(rows.map((row) => arbiter.store.approvalsOf(row.id)));
      const fresh = () => new StateChecks(new LedgerFacts(arbiter.ledger, arbiter.trustedCheckpoint));

      const tokenFirst = await timeEach(tokens.length, (i) => fresh().token(tokens[i]));
      const cachedChecks = fresh();
      for (const row of tokens) await cachedChecks.token(row);
      const tokenCached = await timeEach(10_000, (i) => cachedChecks.token(tokens[i % tokens.length]));
      const decisionFirst = await timeEach(rows.length, (i) => fresh().decision(rows[i], approvals[i]));
      const warm = fresh();
      for (const [i, row] of rows.entries()) await warm.decision(row, approvals[i]);
      const decisionCached = await timeEach(2_000, (i) =>
        warm.decision(rows[i % rows.length], approvals[i % rows.length]),
      );
      const ms = (value) => value.toFixed(3);
      log(
        `ledger ${size} entries: token first ${ms(tokenFirst)} ms, cached ${ms(tokenCached)} ms; decision first ${ms(decisionFirst)} ms, cached ${ms(decisionCached)} ms`,
      );
      return `### State checks (\`bench/server/state-checks.js\`)

In process, SQLite file, a ledger of ${size.toLocaleString('en-US')} entries with a trusted checkpoint
over all of them: the mean cost of each check that steps run before relying on a stored fact (issue 17).

| check | when | mean ms |
| --- | --- | ---: |
| token against its \`token.created\` entry (subject lookup, inclusion proof, compare) | first use of a token in a process | ${ms(tokenFirst)} |
| token | every later request (cached until revoked) | ${ms(tokenCached)} |
| decision state against its entries (lookup, one proof per entry, replay, compare) before a vote or outcome | first step on a decision in a process | ${ms(decisionFirst)} |
| decision state | later steps (entry proofs cached; the lookup and comparison run each time) | ${ms(decisionCached)} |

The decision path (\`POST /v1/decisions\`) adds one System-status lookup per System per second; the
throughput rows above include it.`;
    } finally {
      await arbiter.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  console.log(await measureStateChecks({ log: (line) => console.error(line) }));
}
