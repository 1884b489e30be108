import type { AddressInfo } from 'node:net';
import type { Logger } from '../../core/logger.js';
import { cosignatureVerifierKeyOf } from '../../ledger/cosignature.js';
import type { NoteSigner } from '../../ledger/note.js';
import type { WitnessedLog } from '../../witness/add-checkpoint.js';
import { createWitnessServer } from './witness-server.js';
import { WitnessState } from './witness-state.js';

/** A running witness: where it listens, the key auditors and logs trust, and how to stop it. */
export interface RunningWitness {
  /** `http://host:port`, the submission prefix (`POST <url>/add-checkpoint`). */
  url: string;
  name: string;
  /** The cosignature/v1 verifier key (`name+id+base64(0x04 ‖ key)`). */
  verifierKey: string;
  state: WitnessState;
  close(): Promise<void>;
}

/** Opens the witness's state and listens; `port` 0 picks a free port. */
export async function startWitness(options: {
  signer: NoteSigner;
  logs: readonly WitnessedLog[];
  statePath: string;
  host?: string;
  port?: number;
  logger: Logger;
  clock?: () => Date;
}): Promise<RunningWitness> {
  const state = WitnessState.open({ path: options.statePath, logs: options.logs, signer: options.signer });
  const server = createWitnessServer({
    state,
    logger: options.logger,
    ...(options.clock ? { clock: options.clock } : {}),
  });
  const host = options.host ?? '127.0.0.1';
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (error) {
    state.close();
    throw error;
  }
  const { port } = server.address() as AddressInfo;
  let closed = false;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    name: options.signer.name,
    verifierKey: cosignatureVerifierKeyOf(options.signer),
    state,
    async close() {
      if (closed) return;
      closed = true;
      server.closeIdleConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      state.close();
    },
  };
}
