// bench/gitlab: what a look at a GitLab project's blocked deployments costs Arbiter. An in-process
// Arbiter (built dist/, SQLite) and a loopback stand-in for GitLab's Deployments API listing N
// blocked deployments that all wait for approval (their decisions stay pending, so GitLab keeps
// listing them). Counts write transactions (operation counts, stable on a loaded machine) and
// times the first poll (N new decisions) and the idle polls after it (nothing new).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fmt } from '../measure.js';

const deployments = Number(process.env.BENCH_GITLAB_DEPLOYMENTS ?? 200);
const idlePolls = Number(process.env.BENCH_GITLAB_IDLE_POLLS ?? 20);

function entry(id) {
  return {
    id,
    iid: id,
    status: 'blocked',
    ref: 'main',
    sha: 'a91957a858320c0e17f3a0eca7cfacbff50ea29a',
    environment: { id: 9, name: 'production', external_url: 'https://example.com' },
    deployable: { id: 10_000 + id, name: 'deploy', pipeline: { id: 37 } },
    user: { username: 'root' },
  };
}

function standIn(list) {
  const server = createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      response.writeHead(200, { 'content-type': 'application/json' });
      const url = new URL(request.url, 'http://stand-in');
      const perPage = Number(url.searchParams.get('per_page') ?? 20);
      const page = Number(url.searchParams.get('page') ?? 1);
      response.end(
        request.method === 'GET' ? JSON.stringify(list.slice((page - 1) * perPage, page * perPage)) : '{}',
      );
    });
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({ url: `http://127.0.0.1:${server.address().port}`, close: () => server.close() }),
    ),
  );
}

export async function run({ log }) {
  const { startArbiter } = await import('../../dist/app/arbiter.js');
  const dir = mkdtempSync(join(tmpdir(), 'arbiter-bench-gitlab-'));
  const policies = join(dir, 'policies');
  const { mkdirSync } = await import('node:fs');
  mkdirSync(policies);
  writeFileSync(
    join(policies, 'gitlab.yaml'),
    `apiVersion: arbiter/v1
kind: System
metadata: { name: web-deployer }
spec:
  kind: agent
  owner: { team: web, person: dana@example.com }
  onCall: { team: web-oncall }
  autonomy: 3
  riskTier: limited
  gitlab: { projects: [acme/web] }
---
apiVersion: arbiter/v1
kind: ActionPolicy
metadata: { name: web-deploys }
spec:
  match: { actions: [deploy] }
  rules:
    - name: approve
      when: "true"
      effect: require_approval
      approval: { from: ['group:web'], ttl: 24h }
      message: a web engineer approves each deploy
`,
  );
  const list = Array.from({ length: deployments }, (_, index) => entry(index + 1));
  const gitlab = await standIn(list);
  const arbiter = await startArbiter({
    databaseUrl: `sqlite:${join(dir, 'arbiter.db')}`,
    ledgerKeyPath: join(dir, 'ledger.key'),
    policyDir: policies,
    notificationIntervalMs: 3_600_000,
    checkpointIntervalMs: 3_600_000,
    gitlab: { url: gitlab.url, token: 'bench', pollIntervalMs: 0, webhookSecret: 'bench' },
  });
  let writes = 0;
  const write = arbiter.store.write.bind(arbiter.store);
  arbiter.store.write = (work) => {
    writes++;
    return write(work);
  };
  try {
    const poller = arbiter.gitlab.deployments;
    let start = process.hrtime.bigint();
    const first = await poller.pollProject('acme/web');
    const firstMs = Number(process.hrtime.bigint() - start) / 1e6;
    const firstWrites = writes;
    if (first.taken.length !== deployments) throw new Error(`took ${first.taken.length} of ${deployments}`);
    writes = 0;
    start = process.hrtime.bigint();
    for (let poll = 0; poll < idlePolls; poll++) await poller.pollProject('acme/web');
    const idleMs = Number(process.hrtime.bigint() - start) / 1e6 / idlePolls;
    const idleWrites = writes / idlePolls;
    const load = loadavg()
      .map((value) => value.toFixed(2))
      .join(' ');
    log(
      `first poll ${firstMs.toFixed(0)} ms, ${firstWrites} writes; idle poll ${idleMs.toFixed(1)} ms, ${idleWrites} writes`,
    );
    return `
GitLab blocked deployments (\`npm run bench gitlab\`): one project listing ${deployments} blocked
deployments whose decisions stay pending, so GitLab keeps listing them; in-process Arbiter on SQLite,
a loopback stand-in for the Deployments API. Load average during the run: ${load}.

| poll | write transactions | wall time |
| --- | ---: | ---: |
| first (${deployments} new decisions) | ${fmt.rate(firstWrites)} | ${firstMs.toFixed(0)} ms (${(firstMs / deployments).toFixed(2)} ms each) |
| idle (nothing new; mean of ${idlePolls}) | ${idleWrites} | ${idleMs.toFixed(1)} ms |
`;
  } finally {
    await arbiter.close();
    gitlab.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
