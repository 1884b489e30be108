import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { fmt } from '../measure.js';
import { startArbiter, startProcess } from '../processes.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const _bin = join(root, 'bin', 'arbiter.js');
const seconds = Number(process.env.BENCH_HOOKS_SECONDS ?? 15);
const rate = Number(process.env.BENCH_HOOKS_RATE ?? 200);

const commands = [
  'npm test',
  'git status --short',
  'git add -A && git commit -m "wip"',
  'ls -la src | head -20',
  "grep -rn 'TODO' src/ | wc -l",
  'cd web && npm run build',
];

/** One Claude Code PreToolUse call per request: its own session, so each is a new decision. */
function hookBody(i) {
  return JSON.stringify({
    session_id: `bench-${process.pid}-${i}`,
    transcript_path: '/tmp/bench.jsonl',
    cwd: '/work/app',
    permission_mode: 'default',
    hook_event_name: 'PreToolUse',
    tool_name: 'Bash',
    tool_input: { command: commands[i % commands.length], description: 'benchmark tool call' },
    tool_use_id: `toolu_${i}`,
  });
}

function decisionBody(i) {
  return JSON.stringify({
    action: 'agent.tool.shell',
    resource: { type: 'tool', id: 'Bash', environment: 'development' },
    rationale: 'benchmark tool call',
    context: { session: { id: `bench-${i}` } },
    idempotencyKey: `bench-${process.pid}-${i}`,
  });
}

function load({ url, path, token, body, overallRate, duration = seconds }) {
  let i = 0;
  return new Promise((resolve, reject) => {
    autocannon(
      {
        url: `${url}${path}`,
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(token ? { authorization: `Bearer ${token}` } : {}),
        },
        requests: [{ setupRequest: (request) => ({ ...request, body: body(i++) }) }],
        connections: 16,
        duration,
        ...(overallRate ? { overallRate } : {}),
      },
      (error, result) => (error ? reject(error) : resolve(result)),
    );
  });
}

function row(label, result) {
  const ok = result['2xx'];
  const errors = result.non2xx + result.errors + result.timeouts;
  return `| ${label} | ${fmt.rate(ok / result.duration)} | ${result.latency.p50} | ${result.latency.p99} | ${errors} |`;
}

export async function run({ log }) {
  const dir = mkdtempSync(join(tmpdir(), 'arbiter-bench-hooks-'));
  const rows = [];
  const loads = [];
  try {
    const arbiter = await startArbiter(dir, { system: 'claude-code-ci' });
    const { token } = arbiter;
    const probe = await fetch(`${arbiter.url}/v1/hooks/claude-code`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: hookBody(-1),
    });
    const answer = await probe.json();
    if (answer.hookSpecificOutput?.permissionDecision !== 'allow')
      throw new Error(`probe failed: ${probe.status} ${JSON.stringify(answer)}`);
    // Warm up (JIT, page cache) before anything is measured.
    await load({ url: arbiter.url, path: '/v1/hooks/claude-code', token, body: hookBody, duration: 3 });
    const hooks = await load({
      url: arbiter.url,
      path: '/v1/hooks/claude-code',
      token,
      body: hookBody,
      overallRate: rate,
    });
    loads.push(loadavg()[0]);
    rows.push(row(`\`POST /v1/hooks/claude-code\` at ${rate}/s`, hooks));
    log(`hooks at ${rate}/s: p50 ${hooks.latency.p50} ms, p99 ${hooks.latency.p99} ms`);
    const decisions = await load({
      url: arbiter.url,
      path: '/v1/decisions',
      token,
      body: decisionBody,
      overallRate: rate,
    });
    rows.push(row(`\`POST /v1/decisions\` at ${rate}/s (same run)`, decisions));
    log(`decisions at ${rate}/s: p50 ${decisions.latency.p50} ms, p99 ${decisions.latency.p99} ms`);
    arbiter.child.kill('SIGTERM');
    await new Promise((resolve) => arbiter.child.on('exit', resolve));

    const bare = await startProcess(
      [join(root, 'bench', 'server', 'bare.js')],
      /listening on (http:\/\/\S+)/,
    );
    const ceiling = await load({
      url: bare.url,
      path: '/v1/decisions',
      body: decisionBody,
      overallRate: rate,
    });
    loads.push(loadavg()[0]);
    rows.push(row(`bare Fastify route at ${rate}/s (same run)`, ceiling));
    bare.child.kill('SIGTERM');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return `## Coding-agent hook endpoint (\`bench/hooks\`)

\`arbiter serve\` in its own process on loopback with the example bundle, SQLite durable (every commit synced before its answer).
autocannon (16 connections, ${seconds} s) posts Claude Code \`PreToolUse\` payloads for Bash at a steady
${rate} calls/s, each in a new session, so each is a full hook call: the payload read, the command parsed
(mvdan/sh), the decision evaluated and written with its ledger entry, then claimed (a second write), and
the answer shaped. The same rate of plain \`POST /v1/decisions\` (one write) and a bare Fastify route are
the baselines of the same run.

| endpoint | calls/s | p50 ms | p99 ms | errors |
| --- | ---: | ---: | ---: | ---: |
${rows.join('\n')}

The machine's 1-minute load average after the hook step and after the bare step: ${loads.map((load) => load.toFixed(1)).join(' and ')}
(2 cores: above 2, other processes compete with the server and the load generator, and the bare route's
own latency shows how much).

Target (issue 19): p99 ≤ 10 ms at 200 tool calls/s on SQLite.`;
}
