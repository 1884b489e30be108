import { writeFileSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { exportAuditSource, exportLedger } from '../../../src/app/ledger/export.js';
import { type Ledger, openLedger } from '../../../src/app/ledger/ledger.js';
import { WitnessSubmitter } from '../../../src/app/ledger/witness-submitter.js';
import { type RunningWitness, startWitness } from '../../../src/app/witness/witness.js';
import { createWitnessKey, readWitnessKey } from '../../../src/app/witness/witness-config.js';
import { auditLedger } from '../../../src/ledger/audit.js';
import { parseVerifierKey } from '../../../src/ledger/note.js';
import { openStore } from '../../../src/store/open.js';
import { cosignaturesOf, parseCosignatureVerifierKey } from '../../../src/witness/index.js';
import { type Answer, type ReceivedCall, startApiStandIn } from '../../helpers/api-stand-in.js';
import { startTestServer, type TestServer } from '../../helpers/server.js';
import { tempDir } from '../../helpers/temp.js';

// The server submits its checkpoints to a real witness (kind: Witness in the governance
// repository) over loopback HTTP, stores and serves the cosignatures; a down witness is retried;
// a fork — a rewritten database re-signed with the real key — is refused by the witness that saw
// the original, alerted and recorded, and `verify --quorum 1` rejects its export.

const dir = tempDir('arbiter-server-witness-');
const closing: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const item of closing.splice(0).reverse()) await item.close();
});

const quiet = { warn() {}, error() {}, info() {} };

/** A witness of `server`'s ledger, added to its governance repository and loaded. */
async function witnessFor(server: TestServer, name = 'w1'): Promise<RunningWitness> {
  const keyPath = join(dir, `${name}-${Math.random().toString(36).slice(2)}.key`);
  createWitnessKey(keyPath, `witness.test/${name}`);
  const witness = await startWitness({
    signer: readWitnessKey(keyPath),
    logs: [
      {
        origin: server.arbiter.ledger.origin,
        verifiers: [parseVerifierKey(server.arbiter.ledger.verifierKey)],
      },
    ],
    statePath: join(dir, `${name}-${Math.random().toString(36).slice(2)}.db`),
    logger: quiet,
  });
  closing.push(witness);
  addWitnessDocument(server, name, witness.url, witness.verifierKey);
  expect((await server.arbiter.policies.reload('test', 'api')).ok).toBe(true);
  return witness;
}

function addWitnessDocument(
  server: TestServer,
  name: string,
  url: string,
  verifierKey: string,
  timeoutMs = 5000,
) {
  writeFileSync(
    join(server.policyDir, `witness-${name}.yaml`),
    `apiVersion: arbiter/v1\nkind: Witness\nmetadata: {name: ${name}}\nspec:\n  url: ${url}\n  verifierKey: ${verifierKey}\n  timeoutMs: ${timeoutMs}\n`,
  );
}

async function grow(server: TestServer, count: number, tag = 'note') {
  const { ledger } = server.arbiter;
  await ledger.store.write((tx) =>
    ledger.log.append(
      tx.ledger,
      Array.from({ length: count }, (_, i) => ({
        type: 'test.note',
        actor: 'cli',
        subject: `${tag}-${i}`,
        data: { tag },
      })),
    ),
  );
  await server.arbiter.checkpointIfGrown();
}

async function server() {
  const started = await startTestServer();
  closing.push({ close: () => started.close() });
  return started;
}

describe('the server and its witnesses', () => {
  it('submits every new checkpoint, stores the cosignature and serves it with the checkpoint', async () => {
    const s = await server();
    const witness = await witnessFor(s);
    const key = parseCosignatureVerifierKey(witness.verifierKey);
    await grow(s, 3);
    expect(await s.arbiter.witnesses.submitDue()).toEqual([]);
    const served = await s.call(s.tokens.erin, 'GET', '/v1/ledger/checkpoint');
    expect(served.status).toBe(200);
    expect(cosignaturesOf(served.text, [key]).cosignatures.map((c) => c.witness)).toEqual([
      'witness.test/w1',
    ]);
    // The log's own signature still verifies on the cosigned note.
    const size = Number(served.text.split('\n')[1]);
    expect(witness.state.latest(s.arbiter.ledger.origin)?.size).toBe(size);

    await grow(s, 5);
    await s.arbiter.witnesses.submitDue();
    const next = (await s.call(s.tokens.erin, 'GET', '/v1/ledger/checkpoint')).text;
    expect(Number(next.split('\n')[1])).toBeGreaterThan(size);
    expect(cosignaturesOf(next, [key]).cosignatures).toHaveLength(1);
    expect((await s.call(s.tokens.erin, 'GET', '/v1/ledger/witnesses')).text).toBe(
      `${witness.verifierKey}\n`,
    );
    const metrics = await s.call(s.tokens.root, 'GET', '/metrics');
    expect(metrics.text).toMatch(/arbiter_witness_lag_entries\{witness="w1"\} 0/);
  });

  it('an audit refuses a forged cosignature (checkpoint-cosignature), however many good ones it needs', async () => {
    const s = await server();
    const witness = await witnessFor(s);
    await grow(s, 3);
    expect(await s.arbiter.witnesses.submitDue()).toEqual([]);
    const out = join(dir, `forged-cosignature-${Math.random().toString(36).slice(2)}`);
    await exportLedger(s.arbiter.ledger, out);
    const { source, manifest } = exportAuditSource(out);
    const options = {
      verifiers: [parseVerifierKey(s.arbiter.ledger.verifierKey)],
      origin: manifest.origin,
      witnesses: { verifiers: [parseCosignatureVerifierKey(witness.verifierKey)], quorum: 1 },
    };
    expect((await auditLedger(source, options)).ok).toBe(true);

    // The witness's line keeps its name and key hash; one bit of its Ed25519 signature flips.
    const forge = (note: string) =>
      note.replace(/^— witness\.test\/w1 (\S+)$/m, (_line, base64: string) => {
        const bytes = Buffer.from(base64, 'base64');
        bytes[bytes.length - 1]! ^= 0x01;
        return `— witness.test/w1 ${bytes.toString('base64')}`;
      });
    const notes = await source.checkpoints();
    expect(notes.some((note) => forge(note) !== note)).toBe(true);
    const forged = await auditLedger({ ...source, checkpoints: async () => notes.map(forge) }, options);
    expect(forged.ok).toBe(false);
    expect(forged.problem?.code).toBe('checkpoint-cosignature');
    expect(forged.problem?.message).toContain('cosignature by witness.test/w1 that does not verify');
    // Even asking for no quorum at all: a cosignature that does not verify is never ignored.
    const lenient = await auditLedger(
      { ...source, checkpoints: async () => notes.map(forge) },
      { ...options, witnesses: { ...options.witnesses, quorum: 0 } },
    );
    expect(lenient.problem?.code).toBe('checkpoint-cosignature');
  });

  /** A witness stand-in that answers every add-checkpoint with `answer`; its calls, and a submitter that logs to `warnings`. */
  async function hostileWitness(
    answer: (call: ReceivedCall, reply: Answer, response: ServerResponse) => void,
  ) {
    const s = await server();
    const calls: ReceivedCall[] = [];
    const { server: http, url } = await startApiStandIn(calls, answer);
    closing.push({
      close: () =>
        new Promise<void>((resolve) => {
          http.close(() => resolve());
          http.closeAllConnections();
        }),
    });
    const verifierKey = createWitnessKey(
      join(dir, `hostile-${Math.random().toString(36).slice(2)}.key`),
      'witness.test/w1',
    );
    addWitnessDocument(s, 'w1', url, verifierKey);
    expect((await s.arbiter.policies.reload('test', 'api')).ok).toBe(true);
    const warnings: string[] = [];
    const errors: string[] = [];
    const submitter = new WitnessSubmitter({
      ledger: s.arbiter.ledger,
      witnesses: () => s.arbiter.policies.bundle.witnesses,
      sink: s.arbiter.notifications,
      logger: {
        ...quiet,
        warn: (_fields: unknown, line: string) => warnings.push(line),
        error: (_fields: unknown, line: string) => errors.push(line),
      },
      clock: () => new Date(),
      registry: new Registry(),
    });
    await grow(s, 3);
    return { s, calls, submitter, warnings, errors };
  }

  it('a witness answering more than 64 KiB is cut off there: nothing stored, retried later', async () => {
    // 128 KiB of answer, and then the witness never finishes: only a reader that stops at 64 KiB
    // gets an answer to judge (without the bound it would wait for the 5 s timeout instead).
    const { s, calls, submitter, warnings, errors } = await hostileWitness((_call, _reply, response) => {
      response.writeHead(200, { 'content-type': 'text/plain' });
      response.write('x'.repeat(128 * 1024));
    });
    expect(await submitter.submitDue()).toEqual([]);
    expect(calls).toHaveLength(1);
    expect(await s.arbiter.store.cosignatures()).toEqual([]);
    expect(warnings).toEqual([
      expect.stringMatching(
        /^witness w1 did not cosign \(the answer holds no valid cosignature by the witness key\); retrying in \d+ ms$/,
      ),
    ]);
    expect(errors).toEqual([]);
    // Not asked again before the backoff has passed.
    expect(await submitter.submitDue()).toEqual([]);
    expect(calls).toHaveLength(1);
  });

  it('a witness answering 409 (stale) three times is a failure, retried later — not a fork, not a loop', async () => {
    let held = 0;
    // Each time a new, larger size it holds ("stale", never the size it was sent: that is a fork).
    const { s, calls, submitter, warnings, errors } = await hostileWitness((_call, reply) =>
      reply(409, undefined, { contentType: 'text/x.tlog.size', text: `${++held}\n` }),
    );
    expect(await submitter.submitDue()).toEqual([]);
    expect(calls).toHaveLength(3);
    // The first from size 0, the next two from the size the witness named.
    expect(calls.map((call) => call.body.split('\n')[0])).toEqual(['old 0', 'old 1', 'old 2']);
    expect(await s.arbiter.store.cosignatures()).toEqual([]);
    expect(warnings).toEqual([expect.stringContaining('did not cosign (still stale after 3 rounds)')]);
    expect(errors).toEqual([]);
  });

  it('a witness whose stored size is older (the log restarted and forgot) gets a proof from its size: not a fork', async () => {
    const s = await server();
    const witness = await witnessFor(s);
    await grow(s, 4);
    await s.arbiter.witnesses.submitDue();
    await grow(s, 4);
    // A second submitter, as after a restart or a lock hand-over: it knows nothing and starts at old 0.
    const fresh = new WitnessSubmitter({
      ledger: s.arbiter.ledger,
      witnesses: () => s.arbiter.policies.bundle.witnesses,
      sink: s.arbiter.notifications,
      logger: quiet,
      clock: () => new Date(),
      registry: new Registry(),
    });
    expect(await fresh.submitDue()).toEqual([]);
    expect(witness.state.latest(s.arbiter.ledger.origin)?.size).toBe(await s.arbiter.store.ledger.size());
  });

  it('a witness that never answers is retried with backoff and changes nothing else', async () => {
    const s = await server();
    const sockets = new Set<import('node:net').Socket>();
    const hole = createServer((socket) => {
      sockets.add(socket);
      socket.on('error', () => {});
    });
    await new Promise<void>((resolve) => hole.listen(0, '127.0.0.1', resolve));
    closing.push({
      close: async () => {
        for (const socket of sockets) socket.destroy();
        await new Promise((resolve) => hole.close(resolve));
      },
    });
    const keyPath = join(dir, 'dead.key');
    const key = createWitnessKey(keyPath, 'witness.test/dead');
    addWitnessDocument(
      s,
      'dead',
      `http://127.0.0.1:${(hole.address() as import('node:net').AddressInfo).port}`,
      key,
      200,
    );
    expect((await s.arbiter.policies.reload('test', 'api')).ok).toBe(true);
    await grow(s, 2);
    expect(await s.arbiter.witnesses.submitDue()).toEqual([]);
    // Backing off: the next pass right away does not try again (no new connection).
    const connections = sockets.size;
    await s.arbiter.witnesses.submitDue();
    expect(sockets.size).toBe(connections);
    expect((await s.arbiter.store.cosignatures()).length).toBe(0);
    const decided = await s.call(s.tokens.deployBot, 'POST', '/v1/decisions', {
      action: 'deploy',
      resource: { type: 'service', id: 'payments', environment: 'staging' },
      rationale: 'a witness is down',
      change: { linesChanged: 3 },
      confidence: 0.99,
    });
    expect(decided.status).toBe(201);
  });

  it('a fork — a rewritten database re-signed with the real key — is refused, alerted, recorded, and its export fails --quorum 1', async () => {
    const original = await server();
    const witness = await witnessFor(original);
    await grow(original, 6, 'original');
    await original.arbiter.witnesses.submitDue();
    const cosigned = await original.arbiter.store.cosignatures();
    expect(cosigned).toHaveLength(1);
    const witnessKey = parseCosignatureVerifierKey(witness.verifierKey);
    const verifier = parseVerifierKey(original.arbiter.ledger.verifierKey);

    // The key holder starts over on another database with the same key (hence the same origin),
    // writes a different history and signs it: a split view for whoever is shown this one.
    const admins = await startTestServer({
      extraPolicies: {
        'notifier.yaml':
          'apiVersion: arbiter/v1\nkind: Notifier\nmetadata: {name: admins}\nspec:\n  type: webhook\n  url: http://127.0.0.1:9/hook\n  secretEnv: ADMIN_HOOK_SECRET\n',
      },
    });
    closing.push({ close: () => admins.close() });
    const fork = async (name: string, entries: number) => {
      const store = await openStore(`sqlite:${join(dir, `${name}.db`)}`);
      closing.push({ close: () => store.close() });
      const ledger = await openLedger(store, { keyPath: original.ledgerKeyPath });
      expect(ledger.origin).toBe(original.arbiter.ledger.origin);
      await store.write(async (tx) => {
        await ledger.log.append(
          tx.ledger,
          Array.from({ length: entries }, (_, i) => ({
            type: 'test.note',
            actor: 'cli',
            subject: `${name}-${i}`,
            data: {},
          })),
        );
        await ledger.log.checkpoint(tx.ledger);
      });
      const errors: string[] = [];
      const submitter = new WitnessSubmitter({
        ledger,
        witnesses: () => original.arbiter.policies.bundle.witnesses,
        // The sink of a server whose bundle has an admins' webhook: the alert is queued in the fork's store.
        sink: admins.arbiter.notifications,
        logger: { warn() {}, error: (_details, message) => errors.push(message) },
        clock: () => new Date(),
        registry: new Registry(),
        // No backoff: the next pass asks the witness again at once.
        options: { backoffBaseMs: 0 },
      });
      return { store, ledger, submitter, errors };
    };

    // Longer than what the witness saw: its proof from the witness's size does not verify (422).
    const longer = await fork('rewritten', 200);
    expect(await longer.submitter.submitDue()).toEqual([
      expect.objectContaining({
        witness: 'w1',
        reason: 'inconsistent-proof',
        checkpointSize: 200,
        witnessSize: null,
      }),
    ]);
    expect(longer.errors.join('\n')).toMatch(/refused checkpoint 200/);
    const size = await longer.store.ledger.size();
    const [entry] = await longer.store.ledger.entries(size - 1, size);
    expect(entry?.type).toBe('ledger.fork');
    expect(await longer.store.countNotifications('pending')).toBe(1);
    const [queued] = await longer.store.notifications({ limit: 10 });
    expect(queued?.payload).toMatchObject({ type: 'ledger.fork', severity: 'critical' });
    // Raised once: the next pass (the fork entry grew the log) is refused again, and not alerted again.
    await longer.ledger.store.write((tx) => longer.ledger.log.checkpoint(tx.ledger));
    expect(await longer.submitter.submitDue()).toEqual([]);
    expect(longer.errors).toHaveLength(1);
    expect(await longer.store.countNotifications('pending')).toBe(1);
    // The witness still holds the original.
    expect(witness.state.latest(original.arbiter.ledger.origin)?.size).toBe(cosigned[0]!.size);

    // Shorter than what the witness saw: the witness is ahead of this log.
    const shorter = await fork('truncated', 2);
    expect(await shorter.submitter.submitDue()).toEqual([
      expect.objectContaining({ reason: 'witness-ahead', checkpointSize: 2, witnessSize: cosigned[0]!.size }),
    ]);

    const audit = async (ledger: Ledger, out: string) => {
      await exportLedger(ledger, out);
      const { source, manifest } = exportAuditSource(out);
      return auditLedger(source, {
        verifiers: [verifier],
        origin: manifest.origin,
        witnesses: { verifiers: [witnessKey], quorum: 1 },
      });
    };
    const forkReport = await audit(longer.ledger, join(dir, 'fork-export'));
    expect(forkReport.ok).toBe(false);
    expect(forkReport.problem?.code).toBe('not-witnessed');
    const originalReport = await audit(original.arbiter.ledger, join(dir, 'original-export'));
    expect(originalReport.ok).toBe(true);
    expect(originalReport.witnessed).toMatchObject({
      quorum: 1,
      size: cosigned[0]!.size,
      witnesses: ['witness.test/w1'],
    });
    // Entries after the witnessed checkpoint: reported as not yet witnessed, a failure with requireLatest.
    await grow(original, 1);
    await exportLedger(original.arbiter.ledger, join(dir, 'original-later'));
    const { source } = exportAuditSource(join(dir, 'original-later'));
    const later = await auditLedger(source, {
      verifiers: [verifier],
      witnesses: { verifiers: [witnessKey], quorum: 1 },
    });
    expect(later.ok).toBe(true);
    expect(later.witnessed?.unwitnessed).toBeGreaterThan(0);
    const strict = await auditLedger(exportAuditSource(join(dir, 'original-later')).source, {
      verifiers: [verifier],
      witnesses: { verifiers: [witnessKey], quorum: 1, requireLatest: true },
    });
    expect(strict.problem?.code).toBe('not-witnessed');
  });
});
