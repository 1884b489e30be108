import { addSignatureLines } from '../../ledger/cosignature.js';
import type { StoredCheckpoint } from '../../ledger/storage.js';
import type { Store } from '../../store/store.js';

/**
 * A stored checkpoint with the witnesses' cosignature lines appended to its signature block: the
 * same C2SP signed note, now verifiable with the log's key and with each witness's key.
 */
export async function cosignedNote(
  store: Store,
  checkpoint: { size: number; note: string },
): Promise<string> {
  const rows = await store.cosignatures(checkpoint.size);
  return addSignatureLines(
    checkpoint.note,
    rows.map((row) => row.line),
  );
}

/** Every stored checkpoint with its cosignatures, smallest size first (what exports carry). */
export async function cosignedCheckpoints(store: Store): Promise<StoredCheckpoint[]> {
  const bySize = new Map<number, string[]>();
  for (const row of await store.cosignatures())
    bySize.set(row.size, [...(bySize.get(row.size) ?? []), row.line]);
  return (await store.ledger.checkpoints()).map((checkpoint) => ({
    ...checkpoint,
    note: addSignatureLines(checkpoint.note, bySize.get(checkpoint.size) ?? []),
  }));
}
