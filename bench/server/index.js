// bench/server: decisions per second and latency over HTTP on loopback, SQLite store durable
// (fsync per commit, group commit), against a bare Fastify route as the ceiling. The server runs
// in its own process; autocannon drives it from this one.
import { execFileSync, spawn } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { fmt } from '../measure.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const bin = join(root, 'bin', 'arbiter.js');
const seconds = Number(process.env.BENCH_SERVER_SECONDS ?? 10);

function startProcess(args, readyPattern) {
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  return new Promise((resolve, reject) => {
    const onData = (chunk) => {
      output += chunk;
      const match = readyPattern.exec(output);
      if (match) resolve({ child, url: match[1] });
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', (chunk) => {
      output += chunk;
    });
    child.on('exit', (code) => reject(new Error(`process exited ${code}: ${output}`)));
  });
}

function load(url, token, body, rate, duration = seconds) {
  return new Promise((resolve, reject) => {
    autocannon(
      {
        url: `${url}/v1/decisions`,
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(token ? { authorization: `Bearer ${token}` } : {}),
        },
        body: JSON.stringify(body),
        connections: 64,
        duration,
        ...(rate ? { overallRate: rate } : {}),
      },
      (error, result) => (error ? reject(error) : resolve(result)),
    );
  });
}

function row(label, target, result) {
  const ok = result['2xx'];
  const errors = result.non2xx + result.errors + result.timeouts;
  return `| ${label} | ${target} | ${fmt.rate(ok / result.duration)} | ${result.latency.p50} | ${result.latency.p99} | ${errors} |`;
}

export async function run({ log }) {
  const dir = mkdtempSync(join(tmpdir(), 'arbiter-bench-server-'));
  const rows = [];
  try {
    cpSync(join(root, 'examples', 'policies'), join(dir, 'policies'), { recursive: true });
    const db = `sqlite:${join(dir, 'arbiter.db')}`;
    const arbiter = await startProcess(
      [bin, 'serve', '--db', db, '--policies', join(dir, 'policies'), '--port', '0', '--log-level', 'warn'],
      /Arbiter listening on (http:\/\/\S+)[\s\S]*\nReady\./,
    );
    const token = execFileSync(
      process.execPath,
      [bin, 'tokens', 'create', '--db', db, '--role', 'agent', '--system', 'deploy-bot'],
      { encoding: 'utf8' },
    ).trim();
    const body = {
      action: 'deploy',
      resource: { type: 'service', id: 'payments', environment: 'staging' },
      change: { linesChanged: 40 },
      rationale: 'benchmark deploy to staging',
      confidence: 0.97,
    };
    const probe = await fetch(`${arbiter.url}/v1/decisions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify(body),
    });
    if (probe.status !== 201) throw new Error(`probe failed: ${probe.status} ${await probe.text()}`);
    // Warm up (JIT, page cache) before anything is measured.
    await load(arbiter.url, token, body, undefined, 3);
    for (const rate of [1000, 2500, 5000]) {
      const result = await load(arbiter.url, token, body, rate);
      rows.push(row('Arbiter, SQLite durable', `${rate.toLocaleString('en-US')}/s`, result));
      log(
        `arbiter at ${rate}/s: ${fmt.rate(result['2xx'] / result.duration)}/s, p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms`,
      );
    }
    const max = await load(arbiter.url, token, body);
    rows.push(row('Arbiter, SQLite durable', 'as fast as it goes', max));
    log(`arbiter max: ${fmt.rate(max['2xx'] / max.duration)}/s, p99 ${max.latency.p99} ms`);
    arbiter.child.kill('SIGTERM');
    await new Promise((resolve) => arbiter.child.on('exit', resolve));
    const verify = execFileSync(process.execPath, [bin, 'ledger', 'verify', '--db', db], {
      encoding: 'utf8',
    });
    log(verify.split('\n')[0]);

    const bare = await startProcess(
      [join(root, 'bench', 'server', 'bare.js')],
      /listening on (http:\/\/\S+)/,
    );
    const ceiling = await load(bare.url, undefined, body);
    rows.push(row('bare Fastify route (ceiling)', 'as fast as it goes', ceiling));
    log(`bare: ${fmt.rate(ceiling['2xx'] / ceiling.duration)}/s`);
    bare.child.kill('SIGTERM');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return `## Server (\`bench/server\`)

\`arbiter serve\` in its own process on loopback with the example bundle (which reads the actor's recent
activity, so every decision also queries and updates activity counters), SQLite with \`synchronous=FULL\`:
each decision is evaluated, written with its ledger entry in a group-committed transaction, and fsynced
before the response. autocannon (64 connections, ${seconds} s per step) posts allowed staging deploys
from one agent token; the last row is a bare Fastify route returning a constant, driven the same way.
After the run, \`arbiter ledger verify --db\` checks the whole ledger.

| server | offered load | decisions/s | p50 ms | p99 ms | errors |
| --- | --- | ---: | ---: | ---: | ---: |
${rows.join('\n')}

Targets (issue 4): ≥ 5,000 decisions/s on this 2-core machine; p99 under 20 ms at 1,000 decisions/s.`;
}
