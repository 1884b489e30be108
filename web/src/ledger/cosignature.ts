import { concatBytes, fromBase64 } from './bytes.js';
import type { ParseResult, SignedCheckpoint } from './checkpoint.js';
import { digest } from './merkle.js';

/**
 * Witness cosignatures (c2sp.org/tlog-cosignature, Ed25519 cosignature/v1) checked in the
 * browser: a signature line whose blob is key ID ‖ u64 timestamp ‖ Ed25519 signature over
 * "cosignature/v1\ntime <t>\n" followed by the checkpoint's note body.
 */

export interface WitnessKey {
  name: string;
  keyId: number;
  publicKey: Uint8Array;
}

export type WitnessCheck =
  | { witness: string; status: 'cosigned'; time: Date }
  | { witness: string; status: 'missing' | 'invalid' | 'unsupported'; message: string };

/** Parses `name+hexKeyId+base64(0x04 ‖ Ed25519 public key)` and checks its key ID. */
export async function parseWitnessKey(text: string): Promise<ParseResult<WitnessKey>> {
  const trimmed = text.trim();
  const first = trimmed.indexOf('+');
  const second = trimmed.indexOf('+', first + 1);
  if (first <= 0 || second < 0) return { ok: false, message: 'not a witness key (name+id+key)' };
  const name = trimmed.slice(0, first);
  const idHex = trimmed.slice(first + 1, second);
  const raw = fromBase64(trimmed.slice(second + 1));
  if (!/^[0-9a-fA-F]{8}$/.test(idHex)) return { ok: false, message: 'the key ID is not 8 hex digits' };
  if (raw?.length !== 33 || raw[0] !== 0x04)
    return { ok: false, message: 'not an Ed25519 cosignature/v1 key (type 0x04)' };
  const publicKey = raw.slice(1);
  const hash = await digest(
    concatBytes(new TextEncoder().encode(name), new Uint8Array([0x0a, 0x04]), publicKey),
  );
  if (new DataView(hash.buffer, hash.byteOffset).getUint32(0) !== Number.parseInt(idHex, 16))
    return { ok: false, message: 'the key ID does not match the name and key' };
  return { ok: true, value: { name, keyId: Number.parseInt(idHex, 16), publicKey } };
}

/** Which of `keys` cosigned the checkpoint, each checked with WebCrypto Ed25519. */
export async function checkCosignatures(
  signed: SignedCheckpoint,
  keys: readonly WitnessKey[],
): Promise<WitnessCheck[]> {
  return Promise.all(
    keys.map(async (key): Promise<WitnessCheck> => {
      const line = signed.signatures.find((s) => s.name === key.name && s.keyId === key.keyId);
      if (!line) return { witness: key.name, status: 'missing', message: 'no cosignature yet' };
      if (line.signature.length !== 8 + 64)
        return { witness: key.name, status: 'invalid', message: 'not a cosignature/v1 signature' };
      const view = new DataView(line.signature.buffer, line.signature.byteOffset);
      const seconds = Number(view.getBigUint64(0));
      const publicKey = await crypto.subtle
        .importKey('raw', key.publicKey as Uint8Array<ArrayBuffer>, { name: 'Ed25519' }, false, ['verify'])
        .catch(() => undefined);
      if (!publicKey)
        return {
          witness: key.name,
          status: 'unsupported',
          message: 'this browser cannot check Ed25519 signatures',
        };
      const message = new TextEncoder().encode(`cosignature/v1\ntime ${seconds}\n${signed.text}`);
      const ok = await crypto.subtle.verify(
        { name: 'Ed25519' },
        publicKey,
        line.signature.slice(8) as Uint8Array<ArrayBuffer>,
        message,
      );
      return ok
        ? { witness: key.name, status: 'cosigned', time: new Date(seconds * 1000) }
        : { witness: key.name, status: 'invalid', message: `the cosignature by ${key.name} does not verify` };
    }),
  );
}
