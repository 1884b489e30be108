import type { Ledger } from './ledger.js';
import type { TrustedCheckpoint } from './trusted-checkpoint.js';

/** Signs a checkpoint whenever the log has grown since the last one it knows of. */
export class Checkpointer {
  private constructor(
    private readonly ledger: Ledger,
    private readonly trusted: TrustedCheckpoint,
    private lastSize: number,
  ) {}

  /** Starts from the newest stored checkpoint (none: -1, so an empty log gets its first). */
  static async open(ledger: Ledger, trusted: TrustedCheckpoint): Promise<Checkpointer> {
    return new Checkpointer(ledger, trusted, (await ledger.store.ledger.checkpoints()).at(-1)?.size ?? -1);
  }

  /**
   * Signs and stores a checkpoint if the log grew — only over a tree that extends the trusted one,
   * and only in the process holding the checkpoint lock (with replicas, one signs for all).
   */
  async signIfGrown(): Promise<void> {
    if (!(await this.ledger.store.holdsCheckpointLock())) return;
    const size = await this.ledger.store.ledger.size();
    if (size === this.lastSize) return;
    const signed = await this.trusted.sign();
    this.lastSize = signed.size;
  }
}
