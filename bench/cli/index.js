// bench/cli: how fast the CLI starts, and what a coding agent pays per tool call. Wall-clock times
// of whole processes (spawn to exit), interleaved round by round so a load spike hits every row
// alike: `node -e 0` (the floor), `arbiter --version`, `arbiter hook claude-code` against a running
// `arbiter serve`, and the same HTTP round trip from a bare node script (the hook's floor). Then
// the hook endpoint alone under a steady 200 tool calls/s (autocannon).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { percentile } from '../measure.js';
import { startArbiter } from '../processes.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const bin = join(root, 'bin', 'arbiter.js');
const bare = join(root, 'bench', 'cli', 'bare-hook.js');
const runs = Number(process.env.BENCH_CLI_RUNS ?? 25);
const seconds = Number(process.env.BENCH_CLI_SECONDS ?? 10);
const system = process.env.BENCH_CLI_SYSTEM ?? 'claude-code-ci';

/** A Claude Code PreToolUse payload (code.claude.com/docs/en/hooks); each call its own session, so each is a new decision. */
function payload(index) {
  return JSON.stringify({
    session_id: `bench-${process.pid}-${index}`,
    transcript_path: '/tmp/bench.jsonl',
    cwd: root,
    permission_mode: 'default',
    hook_event_name: 'PreToolUse',
    tool_name: 'Bash',
    tool_input: { command: `git log --oneline -n ${index % 50}` },
    tool_use_id: `toolu_bench_${index}`,
  });
}

/** Wall-clock milliseconds of one process, spawn to exit; throws unless it exits 0. */
function timed(args, { input, env } = {}) {
  const start = process.hrtime.bigint();
  const result = spawnSync(process.execPath, args, {
    input,
    env: { ...process.env, ...env },
    encoding: 'utf8',
  });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (result.status !== 0)
    throw new Error(`node ${args.join(' ')} exited ${result.status}: ${result.stderr}`);
  return ms;
}

const median = (values) =>
  percentile(
    [...values].sort((a, b) => a - b),
    0.5,
  );
const ms = (value) => value.toFixed(1);

function steadyLoad(url, token) {
  let index = 1_000_000;
  return new Promise((resolve, reject) => {
    autocannon(
      {
        url: `${url}/v1/hooks/claude-code`,
        connections: 8,
        duration: seconds,
        overallRate: 200,
        requests: [
          {
            method: 'POST',
            headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
            setupRequest: (request) => ({ ...request, body: payload(index++) }),
          },
        ],
      },
      (error, result) => (error ? reject(error) : resolve(result)),
    );
  });
}

export async function run({ log }) {
  const dir = mkdtempSync(join(tmpdir(), 'arbiter-bench-cli-'));
  let serve;
  try {
    serve = await startArbiter(dir, { system });
    const { token } = serve;
    const env = { ARBITER_TOKEN: token, ARBITER_USER: 'bench@example.com' };
    const loadBefore = loadavg()[0];
    const samples = { node: [], version: [], hook: [], bare: [] };
    for (let round = -3; round < runs; round++) {
      const row = {
        node: timed(['-e', '0']),
        version: timed([bin, '--version']),
        hook: timed([bin, 'hook', 'claude-code', '--url', serve.url], {
          input: payload(2 * round + 100),
          env,
        }),
        bare: timed([bare, serve.url], { input: payload(2 * round + 101), env }),
      };
      if (round < 0) continue; // warm-up: page cache, the server's JIT
      for (const [name, value] of Object.entries(row)) samples[name].push(value);
    }
    const m = Object.fromEntries(Object.entries(samples).map(([name, values]) => [name, median(values)]));
    const roundTrip = m.bare - m.node;
    const hookTarget = 1.5 * m.node + roundTrip;
    log(
      `medians of ${runs}: node -e 0 ${ms(m.node)} ms, --version ${ms(m.version)} ms, hook ${ms(m.hook)} ms, bare round trip ${ms(m.bare)} ms`,
    );

    const load = await steadyLoad(serve.url, token);
    const loadAfter = loadavg()[0];
    const errors = load.non2xx + load.errors + load.timeouts;
    log(`hook endpoint at 200/s: p50 ${load.latency.p50} ms, p99 ${load.latency.p99} ms, ${errors} errors`);

    const verdict = (value, target) =>
      value <= target
        ? 'met'
        : `missed by ${ms(value - target)} ms (${((value / target - 1) * 100).toFixed(0)} %)`;
    return `## CLI start-up and the coding-agent hook (\`bench/cli\`)

The machine is shared (2 cores, other sessions running): the 1-minute load average was
${loadBefore.toFixed(2)} when the run started and ${loadAfter.toFixed(2)} when it ended. The ratios,
taken within one run, mean more than the absolute times.

Whole processes, spawn to exit, wall clock; ${runs} interleaved rounds after 3 warm-up rounds,
medians. \`arbiter hook claude-code\` posts a Claude Code PreToolUse payload (\`Bash\`, a new
session each call, so each is a new decision) to \`arbiter serve\` on loopback (SQLite, durable,
the example bundle) from a git working tree (so it reads HEAD and config), with ARBITER_USER set.
The bare script does the same POST with node:http and nothing else: its time minus \`node -e 0\`
is the round trip.

| command | median ms | vs node -e 0 |
| --- | ---: | ---: |
| \`node -e 0\` | ${ms(m.node)} | 1.00× |
| \`arbiter --version\` | ${ms(m.version)} | ${(m.version / m.node).toFixed(2)}× |
| bare node script, one hook POST | ${ms(m.bare)} | ${(m.bare / m.node).toFixed(2)}× |
| \`arbiter hook claude-code\` | ${ms(m.hook)} | ${(m.hook / m.node).toFixed(2)}× |

Targets (issue 19): \`arbiter --version\` ≤ 2× \`node -e 0\` = ${ms(2 * m.node)} ms: ${verdict(m.version, 2 * m.node)}.
\`arbiter hook\` ≤ 1.5× \`node -e 0\` + the round trip (${ms(roundTrip)} ms) = ${ms(hookTarget)} ms:
${verdict(m.hook, hookTarget)}.

The hook endpoint alone, \`POST /v1/hooks/claude-code\` at a steady 200 tool calls/s for ${seconds} s
(autocannon, 8 connections, a new decision per call): p50 ${load.latency.p50} ms, p99
${load.latency.p99} ms, ${Math.round(load['2xx'] / load.duration)} answers/s, ${errors} errors.
Target (issue 19): p99 ≤ 10 ms: ${load.latency.p99 <= 10 ? 'met' : `missed by ${load.latency.p99 - 10} ms`}.`;
  } finally {
    serve?.child.kill('SIGTERM');
    await serve?.exited;
    rmSync(dir, { recursive: true, force: true });
  }
}
