import { Gauge, type Registry } from 'prom-client';
import type { Logger } from '../../core/logger.js';
import { type CosignatureVerifier, parseCosignatureVerifierKey } from '../../ledger/cosignature.js';
import { noteParts } from '../../ledger/note.js';
import type { WitnessConfig } from '../../policy/bundle.js';
import { formatAddCheckpointRequest } from '../../witness/add-checkpoint.js';
import {
  type ForkReason,
  interpretWitnessAnswer,
  retryDelayMs,
  type WitnessAnswer,
} from '../../witness/submission.js';
import type { EventSink } from '../notifications/notifications.js';
import type { Ledger } from './ledger.js';

/** What the submitter knows of one witness; kept in memory, rebuilt from stored cosignatures. */
interface WitnessProgress {
  /** The size the witness last cosigned for this log, as far as we know (its 409 tells us). */
  witnessSize: number | undefined;
  /** The largest checkpoint size it cosigned that we stored. */
  cosignedSize: number;
  failures: number;
  nextAttemptAt: number;
  /** Fork reasons already alerted since the witness last cosigned: each is raised once. */
  alerted: Set<string>;
}

export interface WitnessSubmitterOptions {
  /** First retry delay after a failure, doubling up to `maxBackoffMs` (default 1 s and 5 min). */
  backoffBaseMs?: number;
  maxBackoffMs?: number;
  fetch?: typeof fetch;
}

/** A fork the submitter found: recorded in the ledger and sent to the admins' notifiers. */
export interface ForkReport {
  witness: string;
  reason: ForkReason;
  checkpointSize: number;
  witnessSize: number | null;
  detail: string;
}

const maxRounds = 3;
/** A cosignature answer is a few lines; a witness that sends more is cut off there. */
const maxAnswerBytes = 64 * 1024;

/** The body as text, reading no more than `limit` bytes of it. */
async function boundedText(response: Response, limit: number): Promise<string> {
  if (!response.body) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let length = 0;
  while (length < limit) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    length += value.length;
  }
  await reader.cancel().catch(() => {});
  return Buffer.concat(chunks).subarray(0, limit).toString('utf8');
}

/**
 * Submits the newest signed checkpoint to every configured witness (C2SP tlog-witness) and
 * stores the cosignatures beside it. Runs in its own background loop, only in the process that
 * holds the checkpoint lock: no decision ever waits for a witness. A witness that is down is
 * retried with backoff; a stale size is answered with a proof from the witness's size; only a
 * 422, a different root for a size both hold, or a witness ahead of the log is a fork — recorded
 * as a `ledger.fork` entry and sent as a critical `ledger.fork` notification.
 */
export class WitnessSubmitter {
  private readonly progress = new Map<string, WitnessProgress>();
  private readonly fetch: typeof fetch;
  private readonly besides: WitnessConfig[] = [];
  private loaded = false;
  private running: Promise<ForkReport[]> | undefined;

  constructor(
    private readonly deps: {
      ledger: Ledger;
      witnesses: () => readonly WitnessConfig[];
      sink: EventSink;
      logger: Logger;
      clock: () => Date;
      registry: Registry;
      options?: WitnessSubmitterOptions;
    },
  ) {
    this.fetch = deps.options?.fetch ?? fetch;
    const submitter = this;
    new Gauge({
      name: 'arbiter_witness_lag_entries',
      help: "Entries between the log's newest checkpoint and the newest one each witness cosigned",
      labelNames: ['witness'],
      registers: [deps.registry],
      async collect() {
        this.reset();
        for (const lag of await submitter.lag()) this.set({ witness: lag.witness }, lag.entries);
      },
    });
  }

  /**
   * Also submits to `witness`, outside the governance repository: for the demo's in-process
   * witness, whose address is known only once it listens. Production witnesses are `kind: Witness`.
   */
  addWitness(witness: WitnessConfig): void {
    this.besides.push(witness);
  }

  /** The witnesses in force: the bundle's, and any added beside it. */
  witnesses(): readonly WitnessConfig[] {
    return [...this.deps.witnesses(), ...this.besides];
  }

  /** Per witness: how many entries its newest cosignature is behind the newest checkpoint. */
  async lag(): Promise<{ witness: string; entries: number; cosignedSize: number | null }[]> {
    const store = this.deps.ledger.store;
    const newest = (await store.newestCheckpoint())?.size ?? 0;
    const cosigned = new Map((await store.newestCosignedSizes()).map((row) => [row.witness, row.size]));
    return this.witnesses().map((witness) => {
      const size = cosigned.get(witness.keyName);
      return { witness: witness.name, entries: newest - (size ?? 0), cosignedSize: size ?? null };
    });
  }

  /**
   * Submits the newest checkpoint to each witness that has not cosigned it and is due. A call
   * while one is running joins it: two passes must not race each other's witness sizes.
   */
  submitDue(): Promise<ForkReport[]> {
    this.running ??= this.submitDuePass().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async submitDuePass(): Promise<ForkReport[]> {
    const witnesses = this.witnesses();
    if (witnesses.length === 0) return [];
    const store = this.deps.ledger.store;
    const newest = await store.newestCheckpoint();
    if (!newest) return [];
    if (!this.loaded) await this.loadProgress();
    const forks: ForkReport[] = [];
    const now = this.deps.clock().getTime();
    await Promise.all(
      witnesses.map(async (witness) => {
        const progress = this.progressOf(witness.keyName);
        if (progress.cosignedSize >= newest.size || now < progress.nextAttemptAt) return;
        const fork = await this.submit(witness, newest, progress);
        if (fork) forks.push(fork);
      }),
    );
    return forks;
  }

  private progressOf(keyName: string): WitnessProgress {
    let progress = this.progress.get(keyName);
    if (!progress) {
      progress = {
        witnessSize: undefined,
        cosignedSize: -1,
        failures: 0,
        nextAttemptAt: 0,
        alerted: new Set(),
      };
      this.progress.set(keyName, progress);
    }
    return progress;
  }

  private async loadProgress(): Promise<void> {
    for (const row of await this.deps.ledger.store.newestCosignedSizes()) {
      const progress = this.progressOf(row.witness);
      progress.cosignedSize = row.size;
      progress.witnessSize = row.size;
    }
    this.loaded = true;
  }

  private async submit(
    witness: WitnessConfig,
    checkpoint: { size: number; note: string },
    progress: WitnessProgress,
  ): Promise<ForkReport | undefined> {
    let verifier: CosignatureVerifier;
    try {
      verifier = parseCosignatureVerifierKey(witness.verifierKey);
    } catch {
      return undefined; // Refused at load: cannot happen with a loaded bundle.
    }
    const { ledger } = this.deps;
    // Our own signed checkpoint always has a signature block; without one no cosignature could verify.
    const noteBody = noteParts(checkpoint.note)?.text ?? '';
    let oldSize = progress.witnessSize ?? 0;
    for (let round = 0; round < maxRounds; round++) {
      if (oldSize > checkpoint.size)
        return this.fork(
          witness,
          progress,
          {
            kind: 'fork',
            reason: 'witness-ahead',
            witnessSize: oldSize,
            detail: `the witness has cosigned size ${oldSize}, beyond this log's ${checkpoint.size}`,
          },
          checkpoint.size,
        );
      const proof =
        oldSize === 0 ? [] : await ledger.log.consistencyProof(ledger.store.ledger, oldSize, checkpoint.size);
      let answer: WitnessAnswer;
      try {
        const response = await this.fetch(`${witness.url}/add-checkpoint`, {
          method: 'POST',
          headers: { 'content-type': 'text/plain; charset=utf-8' },
          body: formatAddCheckpointRequest({ oldSize, proof, note: checkpoint.note }),
          signal: AbortSignal.timeout(witness.timeoutMs),
        });
        const body = await boundedText(response, maxAnswerBytes);
        answer = interpretWitnessAnswer({
          witness: verifier,
          noteBody,
          oldSize,
          size: checkpoint.size,
          status: response.status,
          contentType: response.headers.get('content-type') ?? undefined,
          body,
        });
      } catch (error) {
        return this.failed(witness, progress, `unreachable: ${(error as Error).message}`);
      }
      switch (answer.kind) {
        case 'cosigned': {
          const { cosignature } = answer;
          await ledger.store.write((tx) =>
            tx.insertCosignature({
              size: checkpoint.size,
              witness: verifier.name,
              line: cosignature.line,
              timestamp: cosignature.timestamp,
            }),
          );
          progress.cosignedSize = checkpoint.size;
          progress.witnessSize = checkpoint.size;
          progress.failures = 0;
          progress.nextAttemptAt = 0;
          progress.alerted.clear();
          return undefined;
        }
        case 'stale':
          progress.witnessSize = answer.witnessSize;
          oldSize = answer.witnessSize;
          continue;
        case 'fork':
          return this.fork(witness, progress, answer, checkpoint.size);
        case 'refused':
          return this.failed(witness, progress, answer.detail);
      }
    }
    return this.failed(witness, progress, `still stale after ${maxRounds} rounds`);
  }

  private failed(witness: WitnessConfig, progress: WitnessProgress, detail: string): undefined {
    progress.failures++;
    const delay = retryDelayMs(progress.failures, {
      firstMs: this.deps.options?.backoffBaseMs ?? 1_000,
      maxMs: this.deps.options?.maxBackoffMs ?? 300_000,
    });
    progress.nextAttemptAt = this.deps.clock().getTime() + delay;
    this.deps.logger.warn(
      { witness: witness.name, url: witness.url, failures: progress.failures, retryInMs: delay },
      `witness ${witness.name} did not cosign (${detail}); retrying in ${delay} ms`,
    );
    return undefined;
  }

  private async fork(
    witness: WitnessConfig,
    progress: WitnessProgress,
    answer: Extract<WitnessAnswer, { kind: 'fork' }>,
    checkpointSize: number,
  ): Promise<ForkReport | undefined> {
    const report: ForkReport = {
      witness: witness.name,
      reason: answer.reason,
      checkpointSize,
      witnessSize: answer.witnessSize ?? null,
      detail: answer.detail,
    };
    // Backoff applies to forks too: the witness keeps refusing until someone investigates.
    this.failed(witness, progress, `FORK: ${answer.detail}`);
    // Once per reason until the witness cosigns again: the fork entry itself grows the log, and
    // every later checkpoint would be refused for the same reason.
    if (progress.alerted.has(answer.reason)) return undefined;
    progress.alerted.add(answer.reason);
    const { ledger, sink } = this.deps;
    this.deps.logger.error(
      { alert: 'ledger-fork', ...report },
      `witness ${witness.name} refused checkpoint ${checkpointSize}: ${answer.detail} — someone may be showing a different history of this log`,
    );
    await ledger.store.write(async (tx) => {
      await ledger.log.append(tx.ledger, [
        {
          type: 'ledger.fork',
          actor: 'arbiter',
          subject: ledger.origin,
          data: {
            witness: witness.name,
            witnessKey: witness.verifierKey,
            reason: answer.reason,
            checkpointSize,
            witnessSize: answer.witnessSize ?? null,
          },
        },
      ]);
      await sink.emit(tx, {
        type: 'ledger.fork',
        subject: ledger.origin,
        severity: 'critical',
        summary: `Witness ${witness.name} refused ledger checkpoint ${checkpointSize} (${answer.reason}): the log may have been rewritten or forked`,
        data: {
          witness: witness.name,
          reason: answer.reason,
          checkpointSize,
          witnessSize: answer.witnessSize ?? null,
          detail: answer.detail,
        },
      });
    });
    return report;
  }
}
