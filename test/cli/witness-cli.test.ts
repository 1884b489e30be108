import { type ChildProcess, spawn } from 'node:child_process';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { formatAddCheckpointRequest } from '../../src/witness/index.js';
import { arbiter } from '../helpers/cli.js';
import { tempDir } from '../helpers/temp.js';
import { TestLog } from '../witness/helpers.js';

// `arbiter witness keygen|key|serve` as a user runs them (docs/ledger.md#running-a-witness-arbiter-witness).

const bin = fileURLToPath(new URL('../../bin/arbiter.js', import.meta.url));
const dir = tempDir('arbiter-witness-cli-');
const children = new Set<ChildProcess>();
afterAll(() => {
  for (const child of children) child.kill('SIGKILL');
});

async function serve(args: string[]) {
  const child = spawn(process.execPath, [bin, 'witness', 'serve', '--port', '0', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  let text = '';
  child.stdout!.on('data', (chunk) => {
    text += chunk;
  });
  child.stderr!.on('data', (chunk) => {
    text += chunk;
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`witness did not start:\n${text}`)), 30_000);
    child.stdout!.on('data', () => {
      const match = /listening on (http:\/\/\S+) \(POST/.exec(text);
      if (match && text.includes('state')) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`witness exited with ${code}:\n${text}`));
    });
  });
  return { child, url, output: () => text, exited };
}

describe('arbiter witness', () => {
  const keyPath = join(dir, 'witness.key');

  it('keygen writes a 0600 key and prints the cosignature/v1 verifier key; key prints it again', () => {
    const made = arbiter(['witness', 'keygen', '--name', 'witness.example/cli', '--key', keyPath]);
    expect(made.code, made.stderr).toBe(0);
    expect(made.stdout.trim()).toMatch(/^witness\.example\/cli\+[0-9a-f]{8}\+B[A-P][A-Za-z0-9+/]{42}$/);
    expect(statSync(keyPath).mode & 0o777).toBe(0o600);
    expect(arbiter(['witness', 'key', '--key', keyPath]).stdout).toBe(made.stdout);
    const again = arbiter(['witness', 'keygen', '--name', 'witness.example/cli', '--key', keyPath]);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('never overwritten');
  });

  it('serve cosigns, keeps its state across a restart, and refuses bad configuration', async () => {
    const log = new TestLog('example.com/cli-log').grow(5);
    const state = join(dir, 'state.db');
    const args = ['--key', keyPath, '--state', state, '--log', log.verifierKey];
    let witness = await serve(args);
    expect(witness.output()).toContain('witnessing   example.com/cli-log (1 key)');
    expect(witness.output()).not.toContain('PRIVATE+KEY');
    const post = (url: string, body: string) =>
      fetch(`${url}/add-checkpoint`, { method: 'POST', body }).then(async (r) => ({
        status: r.status,
        body: await r.text(),
      }));
    const first = await post(
      witness.url,
      formatAddCheckpointRequest({ oldSize: 0, proof: [], note: log.checkpoint() }),
    );
    expect(first.status).toBe(200);
    expect(first.body).toMatch(/^— witness\.example\/cli /);
    witness.child.kill('SIGTERM');
    expect(await witness.exited).toBe(0);

    witness = await serve(args);
    const replay = await post(
      witness.url,
      formatAddCheckpointRequest({ oldSize: 0, proof: [], note: log.checkpoint(3) }),
    );
    expect(replay).toEqual({ status: 409, body: '5\n' });
    witness.child.kill('SIGTERM');
    expect(await witness.exited).toBe(0);

    const bad = arbiter(['witness', 'serve', '--key', keyPath, '--state', state, '--log', 'garbage']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--log #1');
    const none = arbiter(['witness', 'serve', '--key', keyPath, '--state', state]);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('no logs to witness');
  }, 120_000);

  it('ledger verify refuses a quorum without witnesses, a quorum above their number, and a log key as a witness key', () => {
    const witnessKey = arbiter(['witness', 'key', '--key', keyPath]).stdout.trim();
    const db = `sqlite:${join(dir, 'verify.db')}`;
    expect(arbiter(['ledger', 'append', '--type', 'test.note', '--db', db]).code).toBe(0);
    const noWitness = arbiter(['ledger', 'verify', '--db', db, '--quorum', '1']);
    expect(noWitness.code).toBe(2);
    expect(noWitness.stderr).toContain('--quorum and --require-latest need --witness');
    const tooMany = arbiter(['ledger', 'verify', '--db', db, '--witness', witnessKey, '--quorum', '2']);
    expect(tooMany.code).toBe(2);
    expect(tooMany.stderr).toContain('--quorum must be between 1 and the number of witnesses (1)');
    const logKey = arbiter(['ledger', 'key', '--db', db]).stdout.trim();
    const wrongKind = arbiter(['ledger', 'verify', '--db', db, '--witness', logKey]);
    expect(wrongKind.code).toBe(2);
    expect(wrongKind.stderr).toContain('type 0x04');
    // No checkpoint a witness cosigned: verification fails, naming why.
    expect(arbiter(['ledger', 'checkpoint', '--db', db]).code).toBe(0);
    const unwitnessed = arbiter(['ledger', 'verify', '--db', db, '--witness', witnessKey, '--no-state']);
    expect(unwitnessed.code).toBe(1);
    expect(unwitnessed.stdout).toContain('no checkpoint is cosigned by 1 of the 1 given witness');
  }, 180_000);
});
