import { canonicalJson } from '../../core/canonical-json.js';
import type { JsonValue } from '../../core/json.js';
import { leafHash, verifyConsistency, verifyInclusion } from '../../ledger/index.js';
import { type Check, fail, pass, skip } from '../check.js';
import { readCheckpoint } from '../checkpoint.js';
import { field } from '../http.js';

const fromBase64 = (text: unknown) =>
  typeof text === 'string' ? new Uint8Array(Buffer.from(text, 'base64')) : new Uint8Array();
const toBase64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');

export const ledgerChecks: Check[] = [
  {
    id: 'LED-01',
    area: 'ledger',
    title: 'The latest checkpoint is a signed note that verifies with the ledger key',
    async run(ctx) {
      const read = await readCheckpoint(ctx.http, ctx.ledgerKey);
      if ('problem' in read) return fail(read.problem);
      const { checkpoint } = read;
      return pass(
        `origin ${checkpoint.origin}, size ${checkpoint.size}; key ${checkpoint.keySource === 'pinned' ? 'pinned with --ledger-key' : 'as published by the server (pin it with --ledger-key)'}`,
      );
    },
  },
  {
    id: 'LED-02',
    area: 'ledger',
    title:
      'The log only grew during the run: a consistency proof between the first and latest checkpoints verifies',
    async run(ctx) {
      const first = await ctx.firstCheckpoint();
      if ('missing' in first) return fail(first.missing);
      const latest = await readCheckpoint(ctx.http, ctx.ledgerKey);
      if ('problem' in latest) return fail(latest.problem);
      const [a, b] = [first.value, latest.checkpoint];
      if (a.size > b.size) return fail(`the log shrank from ${a.size} to ${b.size} entries`);
      const response = await ctx.http.send({
        method: 'GET',
        path: `/v1/ledger/proofs/consistency?first=${a.size}&second=${b.size}`,
        as: 'approver',
      });
      if (response.status !== 200) return fail(`the consistency proof answered ${response.status}`);
      const proof = ((field(response, 'proof') as unknown[] | undefined) ?? []).map(fromBase64);
      // The roots come from the signed checkpoints, never from the server's answer.
      if (!verifyConsistency(a.size, b.size, proof, a.root, b.root))
        return fail(
          `the consistency proof from ${a.size} to ${b.size} does not verify against the signed roots`,
        );
      return pass(`${a.size} → ${b.size} entries (${b.size - a.size} written during the run)`);
    },
  },
  {
    id: 'LED-03',
    area: 'ledger',
    title: "A decision the run created is in the log: its entry's hash and inclusion proof verify",
    async run(ctx) {
      const latest = await readCheckpoint(ctx.http, ctx.ledgerKey);
      if ('problem' in latest) return fail(latest.problem);
      const size = latest.checkpoint.size;
      const pending = await ctx.agentPending();
      const index =
        'value' in pending && typeof pending.value.ledgerIndex === 'number'
          ? pending.value.ledgerIndex
          : size - 1;
      if (index < 0 || index >= size) return skip(`entry ${index} is not in the checkpoint of size ${size}`);
      const entries = await ctx.http.send({
        method: 'GET',
        path: `/v1/ledger/entries?start=${index}&end=${index + 1}`,
        as: 'approver',
      });
      const [stored] =
        (field(entries, 'entries') as { leafHash?: string; entry?: JsonValue }[] | undefined) ?? [];
      if (!stored?.entry) return fail(`GET /v1/ledger/entries did not return entry ${index}`);
      const computed = leafHash(new TextEncoder().encode(canonicalJson(stored.entry)));
      if (toBase64(computed) !== stored.leafHash)
        return fail(
          `entry ${index}: the RFC 8785 bytes hash to ${toBase64(computed)}, the server says ${stored.leafHash}`,
        );
      if ('value' in pending) {
        const entry = stored.entry as { type?: unknown; subject?: unknown };
        if (entry.subject !== pending.value.id || entry.type !== 'decision.created')
          return fail(
            `entry ${index} is ${String(entry.type)} about ${String(entry.subject)}, not decision.created for ${pending.value.id}`,
          );
      }
      const response = await ctx.http.send({
        method: 'GET',
        path: `/v1/ledger/proofs/inclusion?index=${index}&treeSize=${size}`,
        as: 'approver',
      });
      const proof = ((field(response, 'proof') as unknown[] | undefined) ?? []).map(fromBase64);
      if (!verifyInclusion(computed, index, size, proof, latest.checkpoint.root))
        return fail(`the inclusion proof of entry ${index} in the tree of ${size} does not verify`);
      return pass(
        `entry ${index}${'value' in pending ? ` (${pending.value.id})` : ''} in the tree of ${size}`,
      );
    },
  },
  {
    id: 'LED-04',
    area: 'ledger',
    title:
      'The database agrees with the ledger: every decision, approval, token and System status is what its entries record (state audit, needs --db)',
    async run(ctx) {
      if (!ctx.stateAudit)
        return skip('no database access: give --db (and --ledger-key) to run the state audit');
      const audit = await ctx.stateAudit();
      if (!audit.ok)
        return fail(
          `${audit.problems.length} problem${audit.problems.length === 1 ? '' : 's'}: ${audit.problems.slice(0, 10).join('; ')}${audit.problems.length > 10 ? '; …' : ''}`,
        );
      return pass(audit.checked);
    },
  },
];
