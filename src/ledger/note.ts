import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  sign,
  verify,
} from 'node:crypto';

/**
 * C2SP signed notes with Ed25519 (c2sp.org/signed-note): a text ending in a newline, a blank
 * line, and signature lines `— <key name> base64(key ID ‖ signature)`. Keys use the textual
 * formats of golang.org/x/mod/sumdb/note, so Go tooling can read them:
 *   verifier key  <name>+<hex key ID>+base64(0x01 ‖ 32-byte public key)
 *   signer key    PRIVATE+KEY+<name>+<hex key ID>+base64(0x01 ‖ 32-byte seed)
 */

const ed25519Type = 0x01;
const pkcs8Prefix = Buffer.from('302e020100300506032b657004220420', 'hex');
const spkiPrefix = Buffer.from('302a300506032b6570032100', 'hex');
// A checkpoint carries the log's signature and one cosignature per witness: as Go's note package, up to 100.
const maxSignatures = 100;

export interface NoteSigner {
  name: string;
  keyId: number;
  privateKey: KeyObject;
  publicKey: Uint8Array;
}

export interface NoteVerifier {
  name: string;
  keyId: number;
  publicKey: KeyObject;
}

/** Key names must be non-empty and hold no Unicode spaces or plus signs. */
export function isValidKeyName(name: string): boolean {
  return name.length > 0 && !/[\s+\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]/u.test(name);
}

/** key ID = SHA-256(key name ‖ 0x0A ‖ 0x01 ‖ public key)[:4], big-endian. */
export function keyIdOf(name: string, publicKey: Uint8Array): number {
  const digest = createHash('sha256')
    .update(Buffer.from(name, 'utf8'))
    .update(Buffer.from([0x0a, ed25519Type]))
    .update(publicKey)
    .digest();
  return digest.readUInt32BE(0);
}

function rawPublicKey(privateKey: KeyObject): Uint8Array {
  const der = createPublicKey(privateKey).export({ format: 'der', type: 'spki' });
  return new Uint8Array(der.subarray(spkiPrefix.length));
}

/** Splits on the first `count - 1` plus signs: the trailing base64 may itself contain "+". */
function splitKey(text: string, count: number): string[] {
  const parts: string[] = [];
  let rest = text;
  while (parts.length < count - 1) {
    const at = rest.indexOf('+');
    if (at < 0) break;
    parts.push(rest.slice(0, at));
    rest = rest.slice(at + 1);
  }
  parts.push(rest);
  return parts;
}

function hex8(keyId: number): string {
  return keyId.toString(16).padStart(8, '0');
}

/** A fresh Ed25519 signer for `name`, with its signer and verifier key texts. */
export function generateSigner(name: string): { signerKey: string; verifierKey: string } {
  if (!isValidKeyName(name))
    throw new TypeError(`key name ${JSON.stringify(name)} must be non-empty with no spaces or "+"`);
  const { privateKey } = generateKeyPairSync('ed25519');
  const seed = privateKey.export({ format: 'der', type: 'pkcs8' }).subarray(pkcs8Prefix.length);
  const publicKey = rawPublicKey(privateKey);
  const keyId = keyIdOf(name, publicKey);
  const signerKey = `PRIVATE+KEY+${name}+${hex8(keyId)}+${Buffer.concat([Buffer.from([ed25519Type]), seed]).toString('base64')}`;
  return { signerKey, verifierKey: verifierKeyText(name, publicKey) };
}

function verifierKeyText(name: string, publicKey: Uint8Array): string {
  return `${name}+${hex8(keyIdOf(name, publicKey))}+${Buffer.concat([Buffer.from([ed25519Type]), publicKey]).toString('base64')}`;
}

/** Parses a signer key text; throws a TypeError naming what is wrong. */
export function parseSignerKey(text: string): NoteSigner {
  const parts = splitKey(text.trim(), 5);
  if (parts.length !== 5 || parts[0] !== 'PRIVATE' || parts[1] !== 'KEY')
    throw new TypeError('not a signer key (PRIVATE+KEY+name+id+key)');
  const [, , name, idHex, keyB64] = parts as [string, string, string, string, string];
  const raw = Buffer.from(keyB64, 'base64');
  if (raw.length !== 33 || raw[0] !== ed25519Type) throw new TypeError('signer key is not an Ed25519 key');
  const privateKey = createPrivateKey({
    key: Buffer.concat([pkcs8Prefix, raw.subarray(1)]),
    format: 'der',
    type: 'pkcs8',
  });
  const publicKey = rawPublicKey(privateKey);
  const keyId = keyIdOf(name, publicKey);
  if (hex8(keyId) !== idHex.toLowerCase())
    throw new TypeError('signer key ID does not match its name and key');
  return { name, keyId, privateKey, publicKey };
}

/** Parses a verifier key text; throws a TypeError naming what is wrong. */
export function parseVerifierKey(text: string): NoteVerifier {
  const parts = splitKey(text.trim(), 3);
  if (parts.length !== 3) throw new TypeError('not a verifier key (name+id+key)');
  const [name, idHex, keyB64] = parts as [string, string, string];
  if (!isValidKeyName(name) || !/^[0-9a-fA-F]{8}$/.test(idHex))
    throw new TypeError('verifier key has a bad name or key ID');
  const raw = Buffer.from(keyB64, 'base64');
  if (raw.length !== 33 || raw[0] !== ed25519Type) throw new TypeError('verifier key is not an Ed25519 key');
  const publicKeyBytes = raw.subarray(1);
  const keyId = keyIdOf(name, publicKeyBytes);
  if (hex8(keyId) !== idHex.toLowerCase())
    throw new TypeError('verifier key ID does not match its name and key');
  const publicKey = createPublicKey({
    key: Buffer.concat([spkiPrefix, publicKeyBytes]),
    format: 'der',
    type: 'spki',
  });
  return { name, keyId, publicKey };
}

/** The verifier key text of a signer. */
export function verifierKeyOf(signer: NoteSigner): string {
  return verifierKeyText(signer.name, signer.publicKey);
}

/** Signs a note text (which must end in a newline) and returns the signed note. */
export function signNote(text: string, signer: NoteSigner): string {
  if (!text.endsWith('\n')) throw new TypeError('note text must end with a newline');
  const signature = sign(null, Buffer.from(text, 'utf8'), signer.privateKey);
  const prefix = Buffer.alloc(4);
  prefix.writeUInt32BE(signer.keyId, 0);
  return `${text}\n— ${signer.name} ${Buffer.concat([prefix, signature]).toString('base64')}\n`;
}

export type NoteOpening =
  | { ok: true; text: string; verifiedBy: string[] }
  | { ok: false; reason: 'malformed' | 'bad-signature' | 'no-known-signature'; message: string };

/**
 * A signed note cut at its signature block: the signed text (ending in its newline) and the
 * signature lines, unparsed; undefined when there is no blank line or no final newline.
 */
export function noteParts(note: string): { text: string; signatureLines: string[] } | undefined {
  const split = note.lastIndexOf('\n\n');
  if (split < 0 || !note.endsWith('\n')) return undefined;
  return { text: note.slice(0, split + 1), signatureLines: note.slice(split + 2, -1).split('\n') };
}

/**
 * Verifies a signed note against trusted keys. Signatures by unknown keys are ignored, a
 * signature by a known key that fails rejects the note, and at least one known key must sign.
 */
export function openNote(note: string, verifiers: readonly NoteVerifier[]): NoteOpening {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the spec forbids exactly these characters
  if (/[\u0000-\u0009\u000b-\u001f]/.test(note))
    return { ok: false, reason: 'malformed', message: 'note contains control characters' };
  const parts = noteParts(note);
  if (!parts) return { ok: false, reason: 'malformed', message: 'note has no signature block' };
  const { text, signatureLines: lines } = parts;
  if (lines.length === 0 || lines.length > maxSignatures)
    return { ok: false, reason: 'malformed', message: 'note has no or too many signatures' };
  const verifiedBy: string[] = [];
  for (const line of lines) {
    const match = /^— (\S+) ([A-Za-z0-9+/=]+)$/.exec(line);
    if (!match)
      return { ok: false, reason: 'malformed', message: `bad signature line ${JSON.stringify(line)}` };
    const [, name, b64] = match as unknown as [string, string, string];
    const raw = Buffer.from(b64, 'base64');
    if (raw.length < 5) return { ok: false, reason: 'malformed', message: 'signature too short' };
    const keyId = raw.readUInt32BE(0);
    const verifier = verifiers.find((candidate) => candidate.name === name && candidate.keyId === keyId);
    if (!verifier) continue;
    if (!verify(null, Buffer.from(text, 'utf8'), verifier.publicKey, raw.subarray(4))) {
      return { ok: false, reason: 'bad-signature', message: `signature by ${name} does not verify` };
    }
    verifiedBy.push(name);
  }
  if (verifiedBy.length === 0) {
    const names = lines.map((line) => line.split(' ')[1]).join(', ');
    return {
      ok: false,
      reason: 'no-known-signature',
      message: `no signature by a trusted key (signed by: ${names})`,
    };
  }
  return { ok: true, text, verifiedBy };
}
