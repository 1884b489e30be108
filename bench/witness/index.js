// bench/witness: does a dead or slow witness slow decisions? The same `arbiter serve` setup three
// times in one run — no witness; a witness whose port accepts connections and never answers; a
// witness that answers after 2 s — each signing a checkpoint every second (so every second
// there is a checkpoint to submit), under the same fixed load and then as fast as it goes.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fmt } from '../measure.js';
import { arbiterBin, startArbiter, stopProcess } from '../processes.js';
import { postDecisions } from '../server/decisions.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const seconds = Number(process.env.BENCH_WITNESS_SECONDS ?? 10);

function load(url, token, rate, duration = seconds) {
  return postDecisions(url, token, { rate, duration });
}

/** A TCP port that accepts connections and never answers (a witness that hangs). */
function blackhole() {
  const sockets = new Set();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({
        url: `http://127.0.0.1:${server.address().port}`,
        close: () => {
          for (const socket of sockets) socket.destroy();
          server.close();
        },
      }),
    ),
  );
}

/** An HTTP witness that answers every request after `delayMs`, with a refusal (it is slow, not helpful). */
function slowWitness(delayMs) {
  const sockets = new Set();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
    socket.once('data', () =>
      setTimeout(() => socket.end('HTTP/1.1 503 Service Unavailable\r\ncontent-length: 0\r\n\r\n'), delayMs),
    );
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({
        url: `http://127.0.0.1:${server.address().port}`,
        close: () => {
          for (const socket of sockets) socket.destroy();
          server.close();
        },
      }),
    ),
  );
}

async function measure(label, dir, witnessUrl, witnessKey, log) {
  const home = join(dir, label.replace(/\W+/g, '-'));
  const policies = join(home, 'policies');
  cpSync(join(root, 'examples', 'policies'), policies, { recursive: true });
  if (witnessUrl)
    writeFileSync(
      join(policies, 'witness.yaml'),
      `apiVersion: arbiter/v1\nkind: Witness\nmetadata: {name: bench-witness}\nspec:\n  url: ${witnessUrl}\n  verifierKey: ${witnessKey}\n  timeoutMs: 60000\n`,
    );
  const server = await startArbiter(home, {
    system: 'deploy-bot',
    extraArgs: ['--checkpoint-interval', '1'],
  });
  const { token } = server;
  try {
    await load(server.url, token, undefined, 3);
    const fixed = await load(server.url, token, 1000);
    const max = await load(server.url, token);
    log(
      `${label}: at 1,000/s p99 ${fixed.latency.p99} ms; max ${fmt.rate(max['2xx'] / max.duration)}/s, p99 ${max.latency.p99} ms`,
    );
    const errors = (r) => r.non2xx + r.errors + r.timeouts;
    // The machine is shared: the 1-minute load average says how much else was running.
    return `| ${label} | ${fmt.rate(fixed['2xx'] / fixed.duration)} | ${fixed.latency.p50} | ${fixed.latency.p99} | ${fmt.rate(max['2xx'] / max.duration)} | ${max.latency.p99} | ${errors(fixed) + errors(max)} | ${loadavg()[0].toFixed(1)} |`;
  } finally {
    await stopProcess(server);
  }
}

export async function run({ log }) {
  const dir = mkdtempSync(join(tmpdir(), 'arbiter-bench-witness-'));
  const dead = await blackhole();
  const slow = await slowWitness(2_000);
  try {
    const witnessKey = execFileSync(
      process.execPath,
      [arbiterBin, 'witness', 'keygen', '--name', 'bench.example/witness', '--key', join(dir, 'witness.key')],
      { encoding: 'utf8' },
    ).trim();
    const rows = [
      await measure('no witness', dir, undefined, undefined, log),
      await measure('a witness that never answers', dir, dead.url, witnessKey, log),
      await measure('a witness that answers after 2 s', dir, slow.url, witnessKey, log),
    ];
    return `## Witnesses (\`bench/witness\`)

Does a witness that is down or slow slow decisions? The server setup of \`bench/server\` (SQLite durable,
example bundle, 64 connections, ${seconds} s per step), three times in the same run: without a witness; with a
\`kind: Witness\` whose port accepts connections and never answers (60 s timeout); with one that answers
every request after 2 s. Each signs a checkpoint every second (\`--checkpoint-interval 1\`), so there is always
a checkpoint waiting to be submitted. Submission runs in its own background loop and never holds a
database transaction while it waits, so decisions should not notice. On a shared machine the rows move with
the load average (last column): compare rows measured at similar load, or rerun on a quiet machine.

| witness | decisions/s at 1,000/s | p50 ms | p99 ms | decisions/s, as fast as it goes | p99 ms | errors | load avg (1 min) |
| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |
${rows.join('\n')}`;
  } finally {
    dead.close();
    slow.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
