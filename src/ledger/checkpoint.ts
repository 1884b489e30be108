import { type NoteSigner, type NoteVerifier, openNote, signNote } from './note.js';

/** A tree head: which log, how many leaves, which root (c2sp.org/tlog-checkpoint). */
export interface Checkpoint {
  origin: string;
  size: number;
  root: Uint8Array;
}

/** The checkpoint note text: origin, decimal size, base64 root, each on its own line. */
export function checkpointText(checkpoint: Checkpoint): string {
  return `${checkpoint.origin}\n${checkpoint.size}\n${Buffer.from(checkpoint.root).toString('base64')}\n`;
}

/** Signs a checkpoint with the log's key; the key name should be the origin. */
export function signCheckpoint(checkpoint: Checkpoint, signer: NoteSigner): string {
  return signNote(checkpointText(checkpoint), signer);
}

/** Parses checkpoint note text (without signatures); undefined when it is not one. */
export function parseCheckpointText(text: string): Checkpoint | undefined {
  const lines = text.split('\n');
  if (lines.length < 4 || lines[lines.length - 1] !== '') return undefined;
  const [origin, sizeText, rootText] = lines as [string, string, string];
  if (origin === '' || !/^(0|[1-9][0-9]*)$/.test(sizeText)) return undefined;
  const size = Number(sizeText);
  if (!Number.isSafeInteger(size)) return undefined;
  const root = Buffer.from(rootText, 'base64');
  if (root.length !== 32 || root.toString('base64') !== rootText) return undefined;
  if (lines.slice(3, -1).some((line) => line === '')) return undefined;
  return { origin, size, root: new Uint8Array(root) };
}

export type CheckpointOpening =
  | { ok: true; checkpoint: Checkpoint }
  | {
      ok: false;
      reason: 'malformed' | 'bad-signature' | 'no-known-signature' | 'not-a-checkpoint';
      message: string;
    };

/** Verifies a signed checkpoint against trusted keys and parses it. */
export function openCheckpoint(note: string, verifiers: readonly NoteVerifier[]): CheckpointOpening {
  const opened = openNote(note, verifiers);
  if (!opened.ok) return opened;
  const checkpoint = parseCheckpointText(opened.text);
  if (!checkpoint)
    return {
      ok: false,
      reason: 'not-a-checkpoint',
      message: 'signed note is not a checkpoint (origin, size, root)',
    };
  return { ok: true, checkpoint };
}
