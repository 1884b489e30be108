import { concatBytes, fromBase64 } from './bytes.js';
import { digest } from './merkle.js';

/**
 * C2SP signed checkpoints (c2sp.org/tlog-checkpoint, c2sp.org/signed-note) read and verified in the
 * browser. The note text is `origin\nsize\nbase64(root)\n`, then a blank line and signature lines
 * `— <key name> base64(4-byte key ID ‖ Ed25519 signature)`.
 */

export interface Checkpoint {
  origin: string;
  size: number;
  root: Uint8Array;
}

export interface SignedCheckpoint {
  checkpoint: Checkpoint;
  /** The signed text (the note up to and including the blank line's first newline). */
  text: string;
  signatures: { name: string; keyId: number; signature: Uint8Array }[];
}

export interface VerifierKey {
  name: string;
  keyId: number;
  publicKey: Uint8Array;
}

export type ParseResult<T> = { ok: true; value: T } | { ok: false; message: string };

/** Parses a signed checkpoint note; says what is wrong when it is not one. */
export function parseSignedCheckpoint(note: string): ParseResult<SignedCheckpoint> {
  // Pasted notes lose their final newline or gain blank lines and CRs; none of that is signed.
  const text = `${note.replace(/\r\n/g, '\n').trim()}\n`;
  const split = text.lastIndexOf('\n\n');
  if (split < 0) return { ok: false, message: 'no signature block (a blank line, then "— name signature")' };
  const body = text.slice(0, split + 1);
  const lines = body.split('\n');
  const [origin, sizeText, rootText] = lines;
  if (lines.length < 4 || !origin || !sizeText || !rootText)
    return { ok: false, message: 'the note is not a checkpoint (origin, size, root hash)' };
  if (!/^(0|[1-9][0-9]*)$/.test(sizeText) || !Number.isSafeInteger(Number(sizeText)))
    return { ok: false, message: `the tree size "${sizeText}" is not a number` };
  const root = fromBase64(rootText);
  if (root?.length !== 32) return { ok: false, message: 'the root hash is not 32 bytes of base64' };
  const signatures: SignedCheckpoint['signatures'] = [];
  for (const line of text.slice(split + 2, -1).split('\n')) {
    const match = /^— (\S+) ([A-Za-z0-9+/=]+)$/.exec(line);
    const raw = match ? fromBase64(match[2]!) : undefined;
    if (!match || !raw || raw.length < 5) return { ok: false, message: `bad signature line "${line}"` };
    const keyId = new DataView(raw.buffer, raw.byteOffset).getUint32(0);
    signatures.push({ name: match[1]!, keyId, signature: raw.slice(4) });
  }
  if (signatures.length === 0) return { ok: false, message: 'the note has no signature' };
  return {
    ok: true,
    value: { checkpoint: { origin, size: Number(sizeText), root }, text: body, signatures },
  };
}

/** Parses a verifier key `name+hexKeyId+base64(0x01 ‖ Ed25519 public key)` and checks its key ID. */
export async function parseVerifierKey(text: string): Promise<ParseResult<VerifierKey>> {
  const trimmed = text.trim();
  const first = trimmed.indexOf('+');
  const second = trimmed.indexOf('+', first + 1);
  if (first <= 0 || second < 0) return { ok: false, message: 'not a verifier key (name+id+key)' };
  const name = trimmed.slice(0, first);
  const idHex = trimmed.slice(first + 1, second);
  const raw = fromBase64(trimmed.slice(second + 1));
  if (!/^[0-9a-fA-F]{8}$/.test(idHex)) return { ok: false, message: 'the key ID is not 8 hex digits' };
  if (raw?.length !== 33 || raw[0] !== 0x01) return { ok: false, message: 'not an Ed25519 verifier key' };
  const publicKey = raw.slice(1);
  const keyId = await keyIdOf(name, publicKey);
  if (keyId !== Number.parseInt(idHex, 16))
    return { ok: false, message: 'the key ID does not match the name and key' };
  return { ok: true, value: { name, keyId, publicKey } };
}

/** key ID = SHA-256(name ‖ 0x0A ‖ 0x01 ‖ public key)[:4], big-endian. */
async function keyIdOf(name: string, publicKey: Uint8Array): Promise<number> {
  const hash = await digest(
    concatBytes(new TextEncoder().encode(name), new Uint8Array([0x0a, 0x01]), publicKey),
  );
  return new DataView(hash.buffer, hash.byteOffset).getUint32(0);
}

export type SignatureCheck =
  | { status: 'valid'; keyName: string }
  | { status: 'invalid'; message: string }
  | { status: 'unsupported'; message: string };

/**
 * Checks the checkpoint's signature by `key` with WebCrypto Ed25519. Browsers without Ed25519 in
 * WebCrypto get `unsupported`, never a false "valid".
 */
export async function verifyCheckpointSignature(
  signed: SignedCheckpoint,
  key: VerifierKey,
): Promise<SignatureCheck> {
  const signature = signed.signatures.find((s) => s.name === key.name && s.keyId === key.keyId);
  if (!signature) return { status: 'invalid', message: `not signed by ${key.name}` };
  const publicKey = await crypto.subtle
    .importKey('raw', key.publicKey as Uint8Array<ArrayBuffer>, { name: 'Ed25519' }, false, ['verify'])
    .catch(() => undefined);
  if (!publicKey) return { status: 'unsupported', message: 'this browser cannot check Ed25519 signatures' };
  const ok = await crypto.subtle.verify(
    { name: 'Ed25519' },
    publicKey,
    signature.signature as Uint8Array<ArrayBuffer>,
    new TextEncoder().encode(signed.text),
  );
  return ok
    ? { status: 'valid', keyName: key.name }
    : { status: 'invalid', message: `the signature by ${key.name} does not verify` };
}
