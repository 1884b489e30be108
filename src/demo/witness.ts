import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Arbiter } from '../app/arbiter.js';
import { fileBesideDatabase } from '../app/database-files.js';
import { type RunningWitness, startWitness } from '../app/witness/witness.js';
import { createWitnessKey, readWitnessKey } from '../app/witness/witness-config.js';
import type { Logger } from '../core/logger.js';
import { parseVerifierKey } from '../ledger/note.js';

/**
 * The demo's witness: a C2SP tlog-witness in the same process, on a loopback port, witnessing the
 * demo ledger, so a newcomer sees cosigned checkpoints. It is NOT independent — whoever runs the
 * server runs it too; a real deployment uses witnesses run by others (docs/ledger.md#witnesses).
 */
export async function startDemoWitness(
  arbiter: Arbiter,
  databaseUrl: string,
  logger: Logger,
): Promise<RunningWitness> {
  // Beside the demo database (`demo.db` → `demo.witness.key`, `demo.witness.db`).
  const file = (suffix: string) =>
    fileBesideDatabase(databaseUrl, suffix) ?? join('.arbiter', `demo.${suffix}`);
  const keyPath = file('witness.key');
  if (!existsSync(keyPath)) createWitnessKey(keyPath, 'demo-witness.arbiter.local');
  const witness = await startWitness({
    signer: readWitnessKey(keyPath),
    logs: [{ origin: arbiter.ledger.origin, verifiers: [parseVerifierKey(arbiter.ledger.verifierKey)] }],
    statePath: file('witness.db'),
    logger,
  });
  arbiter.witnesses.addWitness({
    name: 'demo-witness',
    url: witness.url,
    verifierKey: witness.verifierKey,
    keyName: witness.name,
    timeoutMs: 5_000,
  });
  // Cosigned before "Ready": the first checkpoint a newcomer fetches already carries it.
  await arbiter.checkpointIfGrown();
  await arbiter.witnesses.submitDue();
  return witness;
}
