// What the process-level benchmarks share: a child process started until it prints that it is ready,
// and `arbiter serve` with the example policies and one agent token, on a fresh SQLite database or
// on a PostgreSQL one (created here too), as one replica of several.
import { execFileSync, spawn } from 'node:child_process';
import { cpSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { serveNodeFlags } from '../dist/cli/young-generation.js';

const root = fileURLToPath(new URL('..', import.meta.url));
export const arbiterBin = join(root, 'bin', 'arbiter.js');

/** What `arbiter serve` prints once it accepts requests; the first group is its URL. */
export const arbiterReady = /Arbiter listening on (http:\/\/\S+)[\s\S]*\nReady\./;

/**
 * Starts `node NODE_ARGS ARGS` (with `env` added to this process's environment) and resolves once its output
 * matches `readyPattern` (the first group is its URL), with `exited` settling when it ends and
 * `output()` for what it printed.
 */
export function startProcess(args, readyPattern, env = {}, nodeArgs = []) {
  const child = spawn(process.execPath, [...nodeArgs, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  let output = '';
  const exited = new Promise((resolve) => child.once('exit', resolve));
  return new Promise((resolve, reject) => {
    child.stdout.on('data', (chunk) => {
      output += chunk;
      const match = readyPattern.exec(output);
      if (match) resolve({ child, url: match[1], exited, output: () => output });
    });
    child.stderr.on('data', (chunk) => {
      output += chunk;
    });
    child.once('exit', (code) => reject(new Error(`process exited ${code}: ${output}`)));
  });
}

/** Ends a started process and waits for it. */
export async function stopProcess(started) {
  if (!started) return;
  started.child.kill('SIGTERM');
  await started.exited;
}

/** The PostgreSQL server the PostgreSQL benchmarks use: $ARBITER_TEST_PG, else the local one. */
export const postgresBase = process.env.ARBITER_TEST_PG ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** Creates the database `name` through `admin` (a connected pg client on postgresBase); returns its URL. */
export async function createDatabase(admin, name) {
  await admin.query(`CREATE DATABASE ${name}`);
  const url = new URL(postgresBase);
  url.pathname = `/${name}`;
  return url.toString();
}

/** `arbiter tokens create` on `db` (with `ledgerKey` when given) and `args`; returns the token. */
export function createToken({ db, ledgerKey, bin = arbiterBin }, args) {
  return execFileSync(
    process.execPath,
    [bin, 'tokens', 'create', '--db', db, ...(ledgerKey ? ['--ledger-key', ledgerKey] : []), ...args],
    { encoding: 'utf8' },
  ).trim();
}

/**
 * `arbiter serve` in `dir` with a copy of the example policies (made once per `dir`, so replicas
 * share it), the per-token rate limit off (one token sends thousands of requests a second), plus
 * `extraArgs`; and an agent token for `system` when given. The database is `db`, a PostgreSQL URL
 * (replicas pass the same one and the same `ledgerKey`), else a fresh durable SQLite file in `dir`.
 * `bin` runs another build (A/B runs against another checkout), `nodeArgs` go to its node (`--import`
 * a probe, `--cpu-prof`, which NODE_OPTIONS refuses), `env` is added to the server's environment.
 */
export async function startArbiter(
  dir,
  { system, db, ledgerKey, extraArgs = [], nodeArgs = [], bin = arbiterBin, env = {} },
) {
  const policies = join(dir, 'policies');
  if (!existsSync(policies)) cpSync(join(root, 'examples', 'policies'), policies, { recursive: true });
  const database = db ?? `sqlite:${join(dir, 'arbiter.db')}`;
  // `arbiter serve` relaunches itself with its young-generation size (src/cli/young-generation.ts);
  // given to node here, the child is the server itself, whose pid the CPU and RSS readings follow.
  // `nodeArgs` with a semi-space size of their own, or ARBITER_SEMI_SPACE_MB=0 in `env`, win; a
  // profiler in `nodeArgs` (which keeps serve from relaunching itself) profiles a server of this size.
  const ownSizing = nodeArgs.filter((flag) => /semi[-_]space/.test(flag));
  const sizing = serveNodeFlags(extraArgs, { ...process.env, ...env }, ownSizing) ?? [];
  const server = await startProcess(
    [
      bin,
      'serve',
      '--db',
      database,
      ...(ledgerKey ? ['--ledger-key', ledgerKey] : []),
      '--policies',
      policies,
      '--port',
      '0',
      '--log-level',
      'warn',
      '--rate-limit',
      '0',
      ...extraArgs,
    ],
    arbiterReady,
    env,
    [...sizing, ...nodeArgs],
  );
  const token = system
    ? createToken({ db: database, ledgerKey, bin }, ['--role', 'agent', '--system', system])
    : undefined;
  return { ...server, db: database, token };
}
