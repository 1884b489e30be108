import { readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import nacl from 'tweetnacl';
import { afterEach, describe, expect, it } from 'vitest';
import { type RunningWitness, startWitness } from '../../../src/app/witness/witness.js';
import { createWitnessKey, readWitnessKey, witnessedLogs } from '../../../src/app/witness/witness-config.js';
import { isArbiterError } from '../../../src/core/errors.js';
import { formatAddCheckpointRequest } from '../../../src/witness/index.js';
import { tempDir } from '../../helpers/temp.js';
import { TestLog } from '../../witness/helpers.js';

// A real witness on a loopback port over a real SQLite file: the tlog-witness answers, its
// memory across restarts, and the hostile requests (docs/ledger.md#witnesses).

const dir = tempDir('arbiter-witness-');
let counter = 0;
const running: RunningWitness[] = [];
afterEach(async () => {
  for (const witness of running.splice(0)) await witness.close();
});

/** Everything logged, to check that the key never is. */
const logged: string[] = [];
const logger = {
  info: (details: object, message: string) => logged.push(JSON.stringify({ details, message })),
  warn: (details: object, message: string) => logged.push(JSON.stringify({ details, message })),
  error: (details: object, message: string) => logged.push(JSON.stringify({ details, message })),
};

function setup(log: TestLog) {
  const n = ++counter;
  const keyPath = join(dir, `witness-${n}.key`);
  const verifierKey = createWitnessKey(keyPath, `witness.example/w${n}`);
  const statePath = join(dir, `witness-${n}.db`);
  const start = async () => {
    const witness = await startWitness({
      signer: readWitnessKey(keyPath),
      logs: witnessedLogs({ logs: [log.verifierKey] }),
      statePath,
      logger,
    });
    running.push(witness);
    return witness;
  };
  return { keyPath, verifierKey, statePath, start };
}

async function post(witness: RunningWitness, body: string | Buffer, headers: Record<string, string> = {}) {
  const response = await fetch(`${witness.url}/add-checkpoint`, { method: 'POST', body, headers });
  return {
    status: response.status,
    contentType: response.headers.get('content-type'),
    body: await response.text(),
  };
}

const add = (witness: RunningWitness, oldSize: number, proof: Uint8Array[], note: string) =>
  post(witness, formatAddCheckpointRequest({ oldSize, proof, note }));

function verifyWithNacl(verifierKey: string, noteBody: string, line: string): boolean {
  const publicKey = Buffer.from(verifierKey.split('+').slice(2).join('+'), 'base64').subarray(1);
  const blob = Buffer.from(line.trimEnd().split(' ')[2]!, 'base64');
  const time = blob.readBigUInt64BE(4);
  const message = new TextEncoder().encode(`cosignature/v1\ntime ${time}\n${noteBody}`);
  return nacl.sign.detached.verify(message, blob.subarray(12), publicKey);
}

describe('arbiter witness: POST /add-checkpoint', () => {
  it('cosigns a consistent checkpoint with a cosignature/v1 line that verifies independently', async () => {
    const log = new TestLog('example.com/log').grow(5);
    const { verifierKey, start } = setup(log);
    const witness = await start();
    expect(witness.verifierKey).toBe(verifierKey);
    const first = await add(witness, 0, [], log.checkpoint());
    expect(first.status).toBe(200);
    expect(first.body).toMatch(new RegExp(`^— ${witness.name} [A-Za-z0-9+/=]+\\n$`));
    const noteBody = `${log.checkpoint().split('\n\n')[0]}\n`;
    expect(verifyWithNacl(verifierKey, noteBody, first.body)).toBe(true);
    log.grow(6);
    const second = await add(witness, 5, log.proof(5), log.checkpoint());
    expect(second.status).toBe(200);
    expect(witness.state.latest(log.origin)?.size).toBe(11);
  });

  it('keeps its state across a restart: a replayed old checkpoint gets 409 with the stored size', async () => {
    const log = new TestLog('example.com/log').grow(3);
    const { start } = setup(log);
    let witness = await start();
    expect((await add(witness, 0, [], log.checkpoint())).status).toBe(200);
    log.grow(4);
    expect((await add(witness, 3, log.proof(3), log.checkpoint())).status).toBe(200);
    await witness.close();
    witness = await start();
    const replay = await add(witness, 0, [], log.checkpoint(3));
    expect(replay).toEqual({ status: 409, contentType: 'text/x.tlog.size', body: '7\n' });
    const stale = await add(witness, 3, log.proof(3), log.checkpoint());
    expect(stale).toMatchObject({ status: 409, body: '7\n' });
  });

  it('refuses a fork — a rewritten history re-signed with the real key — after seeing the original', async () => {
    const log = new TestLog('example.com/log').grow(8);
    const { start } = setup(log);
    const witness = await start();
    expect((await add(witness, 0, [], log.checkpoint())).status).toBe(200);
    const fork = new TestLog(log.origin, log.keys).grow(2).grow(9, 'rewritten');
    expect((await add(witness, 8, fork.proof(8), fork.checkpoint())).status).toBe(422);
    const sameSize = new TestLog(log.origin, log.keys).grow(8, 'rewritten');
    expect(await add(witness, 8, [], sameSize.checkpoint())).toMatchObject({ status: 409, body: '8\n' });
    expect(witness.state.latest(log.origin)?.size).toBe(8);
    expect(witness.state.evidence().map((row) => row.status)).toEqual([409, 422]);
  });

  it('answers 404 for an unknown origin and 403 for a signature by another key', async () => {
    const log = new TestLog('example.com/log').grow(2);
    const witness = await setup(log).start();
    expect((await add(witness, 0, [], new TestLog('example.com/else').grow(2).checkpoint())).status).toBe(
      404,
    );
    expect((await add(witness, 0, [], new TestLog('example.com/log').grow(2).checkpoint())).status).toBe(403);
    expect(witness.state.latest(log.origin)).toBeUndefined();
  });

  it('answers 400 for malformed proof lines, too many proof lines, and old > new', async () => {
    const log = new TestLog('example.com/log').grow(4);
    const witness = await setup(log).start();
    const note = log.checkpoint();
    const hash = Buffer.alloc(32, 1).toString('base64');
    expect((await post(witness, `old 2\nnot base64!\n\n${note}`)).status).toBe(400);
    expect((await post(witness, `old 2\n${hash.slice(4)}\n\n${note}`)).status).toBe(400);
    expect((await post(witness, `old 2\n${`${hash}\n`.repeat(64)}\n${note}`)).status).toBe(400);
    expect((await add(witness, 5, [], note)).status).toBe(400);
    expect((await post(witness, Buffer.from([0x6f, 0x6c, 0x64, 0x20, 0xff, 0x0a, 0x0a]))).status).toBe(400);
    expect(witness.state.latest(log.origin)).toBeUndefined();
  });

  it('refuses an oversized body with 413, declared or streamed, and stays up', async () => {
    const log = new TestLog('example.com/log').grow(2);
    const witness = await setup(log).start();
    expect((await post(witness, `old 0\n\n${'x'.repeat(20_000)}`)).status).toBe(413);
    // Chunked, no Content-Length: cut off once it passes the limit.
    const streamed = await new Promise<number>((resolve, reject) => {
      const request = httpRequest(`${witness.url}/add-checkpoint`, { method: 'POST' }, (response) => {
        response.resume();
        resolve(response.statusCode ?? 0);
      });
      request.on('error', reject);
      for (let i = 0; i < 40; i++) request.write('y'.repeat(1024));
      request.end();
    });
    expect(streamed).toBe(413);
    expect((await add(witness, 0, [], log.checkpoint())).status).toBe(200);
  });

  it('answers only POST /add-checkpoint', async () => {
    const witness = await setup(new TestLog('example.com/log')).start();
    expect((await fetch(`${witness.url}/add-checkpoint`)).status).toBe(405);
    expect((await fetch(`${witness.url}/`, { method: 'POST', body: 'x' })).status).toBe(404);
  });

  it('concurrent submissions of two roots for one size: exactly one root is ever cosigned', async () => {
    const log = new TestLog('example.com/log').grow(4);
    const witness = await setup(log).start();
    expect((await add(witness, 0, [], log.checkpoint())).status).toBe(200);
    const honest = new TestLog(log.origin, log.keys).grow(4).grow(6);
    const forked = new TestLog(log.origin, log.keys).grow(4).grow(6, 'forked');
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) => {
        const which = i % 2 === 0 ? honest : forked;
        return add(witness, 4, which.proof(4), which.checkpoint()).then((answer) => ({ ...answer, which }));
      }),
    );
    const cosigned = answers.filter((answer) => answer.status === 200);
    expect(cosigned).toHaveLength(1);
    expect(answers.filter((answer) => answer.status === 409).every((answer) => answer.body === '10\n')).toBe(
      true,
    );
    const winner = cosigned[0]!.which;
    expect(Buffer.from(witness.state.latest(log.origin)!.root).equals(Buffer.from(winner.root()))).toBe(true);
    // Now the loser, re-sent from the witness's size, is a different root for size 10.
    const loser = winner === honest ? forked : honest;
    expect((await add(witness, 10, [], loser.checkpoint())).status).toBe(409);
  });

  it('never logs its key, whatever it answers', async () => {
    const log = new TestLog('example.com/log').grow(2);
    const { keyPath, start } = setup(log);
    const witness = await start();
    await add(witness, 0, [], log.checkpoint());
    await add(witness, 0, [], log.checkpoint(1));
    await add(witness, 9, [], log.checkpoint());
    const seed = readFileSync(keyPath, 'utf8').trim().split('+').slice(4).join('+');
    expect(logged.length).toBeGreaterThan(0);
    expect(logged.join('\n')).not.toContain(seed);
    expect(logged.join('\n')).not.toContain('PRIVATE+KEY');
  });

  it('refuses to overwrite a key, and names bad configuration', () => {
    const log = new TestLog('example.com/log');
    const { keyPath } = setup(log);
    expect(() => createWitnessKey(keyPath, 'witness.example/again')).toThrow(/never overwritten/);
    for (const logs of [[], ['garbage'], [`a b ${log.verifierKey}`]]) {
      try {
        witnessedLogs({ logs });
        expect.unreachable();
      } catch (error) {
        expect(isArbiterError(error) && error.code).toBe('ARB_ERR_WITNESS_CONFIG');
      }
    }
    expect(witnessedLogs({ logs: [`other.example/log ${log.verifierKey}`] })[0]!.origin).toBe(
      'other.example/log',
    );
  });
});
