import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  checkpointText,
  generateSigner,
  openCheckpoint,
  openNote,
  parseCheckpointText,
  parseSignerKey,
  parseVerifierKey,
  signCheckpoint,
  signNote,
} from '../../src/ledger/index.js';
import { noteParts } from '../../src/ledger/note.js';

const alice = generateSigner('example.com/alice');
const mallory = generateSigner('example.com/alice');
const signer = parseSignerKey(alice.signerKey);
const verifier = parseVerifierKey(alice.verifierKey);

describe('signed-note keys', () => {
  it('uses the Go note text formats', () => {
    expect(alice.verifierKey).toMatch(
      /^example\.com\/alice\+[0-9a-f]{8}\+[A-Za-z0-9+/]{43}[A-Za-z0-9+/=]{1}$/,
    );
    expect(alice.signerKey).toMatch(/^PRIVATE\+KEY\+example\.com\/alice\+[0-9a-f]{8}\+/);
  });

  it('computes the key ID as SHA-256(name ‖ 0x0A ‖ 0x01 ‖ public key)[:4]', () => {
    const raw = Buffer.from(alice.verifierKey.split('+').slice(2).join('+'), 'base64');
    expect(raw[0]).toBe(0x01);
    const id = createHash('sha256')
      .update('example.com/alice\n')
      .update(raw)
      .digest()
      .subarray(0, 4)
      .toString('hex');
    expect(alice.verifierKey.split('+')[1]).toBe(id);
    expect(verifier.keyId.toString(16).padStart(8, '0')).toBe(id);
  });

  it.each([
    ['not a key', 'hello'],
    ['wrong key id', alice.verifierKey.replace(/\+[0-9a-f]{8}\+/, '+00000000+')],
    ['truncated key', alice.verifierKey.slice(0, -8)],
    ['a signer key', alice.signerKey],
  ])('rejects %s as a verifier key', (_name, text) => {
    expect(() => parseVerifierKey(text)).toThrow(TypeError);
  });

  it('refuses key names with spaces or plus signs', () => {
    expect(() => generateSigner('bad name')).toThrow(TypeError);
    expect(() => generateSigner('bad+name')).toThrow(TypeError);
  });
});

describe('signed notes', () => {
  const note = signNote('hello\nworld\n', signer);

  it('has the text, a blank line and an em-dash signature line', () => {
    expect(note).toMatch(/^hello\nworld\n\n— example\.com\/alice [A-Za-z0-9+/=]+\n$/);
    expect(openNote(note, [verifier])).toEqual({
      ok: true,
      text: 'hello\nworld\n',
      verifiedBy: ['example.com/alice'],
    });
  });

  it('rejects a changed text', () => {
    expect(openNote(note.replace('world', 'w0rld'), [verifier])).toMatchObject({
      ok: false,
      reason: 'bad-signature',
    });
  });

  it('ignores signatures by unknown keys and requires one by a known key', () => {
    const byMallory = signNote('hello\nworld\n', parseSignerKey(mallory.signerKey));
    expect(openNote(byMallory, [verifier])).toMatchObject({ ok: false, reason: 'no-known-signature' });
    const both = `${note}${byMallory.split('\n\n')[1]}`;
    expect(openNote(both, [verifier])).toMatchObject({ ok: true });
  });

  it('opens a note cosigned by many witnesses (one line each), and bounds the number of lines', () => {
    const lines = (count: number) =>
      Array.from(
        { length: count },
        (_, i) =>
          signNote('hello\nworld\n', parseSignerKey(generateSigner(`witness-${i}.example`).signerKey)).split(
            '\n\n',
          )[1],
      ).join('');
    expect(openNote(`${note}${lines(20)}`, [verifier])).toMatchObject({ ok: true });
    expect(openNote(`${note}${lines(100)}`, [verifier])).toMatchObject({ ok: false, reason: 'malformed' });
  });

  it.each([
    ['no signature block', 'hello\n'],
    ['control characters', 'he\u0001llo\n\n— x AAAAAAA=\n'],
    ['bad signature line', 'hello\n\n- example.com/alice AAAA\n'],
  ])('rejects a malformed note: %s', (_name, text) => {
    expect(openNote(text, [verifier])).toMatchObject({ ok: false, reason: 'malformed' });
  });
});

describe('checkpoints', () => {
  const root = new Uint8Array(32).fill(7);

  it('are origin, decimal size and base64 root lines', () => {
    expect(checkpointText({ origin: 'example.com/alice', size: 20852163, root })).toBe(
      `example.com/alice\n20852163\n${Buffer.from(root).toString('base64')}\n`,
    );
  });

  it('round-trip through signing and opening', () => {
    const note = signCheckpoint({ origin: 'example.com/alice', size: 5, root }, signer);
    const opened = openCheckpoint(note, [verifier]);
    expect(opened.ok && opened.checkpoint.size).toBe(5);
  });

  it.each([
    'x\n05\nAAAA\n',
    'x\n5\nnot-base64\n',
    `x\n-1\n${Buffer.from(root).toString('base64')}\n`,
    `\n5\n${Buffer.from(root).toString('base64')}\n`,
  ])('rejects malformed checkpoint text %j', (text) => {
    expect(parseCheckpointText(text)).toBeUndefined();
  });
});

describe('noteParts', () => {
  it('cuts at the last blank line: the signed text keeps its newline, the lines are unparsed', () => {
    expect(noteParts('origin\n2\n\nroot\n\n— a AAAA\n— b BBBB\n')).toEqual({
      text: 'origin\n2\n\nroot\n',
      signatureLines: ['— a AAAA', '— b BBBB'],
    });
  });

  it('has no parts without a blank line or without the final newline', () => {
    expect(noteParts('origin\n2\nroot\n— a AAAA\n')).toBeUndefined();
    expect(noteParts('origin\n2\nroot\n\n— a AAAA')).toBeUndefined();
    expect(noteParts('')).toBeUndefined();
  });

  it('an empty signature block is one empty line, which no signature parser accepts', () => {
    expect(noteParts('origin\n\n')).toEqual({ text: 'origin\n', signatureLines: [''] });
  });
});
