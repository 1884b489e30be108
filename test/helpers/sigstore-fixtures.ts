/**
 * Builds model_signing v1.0 signatures (Sigstore v0.3 bundles over a DSSE-wrapped in-toto statement) at
 * test time with node:crypto only: key-signed bundles, and keyless ones with a test Fulcio-style CA, a
 * leaf certificate from a minimal DER writer, and a one-entry fake Rekor log with its signed entry
 * timestamp, inclusion proof and checkpoint.
 */
import { createHash, generateKeyPairSync, type KeyObject, randomBytes, sign } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export const IN_TOTO = 'application/vnd.in-toto+json';
export const BUNDLE_V03 = 'application/vnd.dev.sigstore.bundle.v0.3+json';

const sha256 = (data: Buffer | string) => createHash('sha256').update(data).digest();
const b64 = (data: Buffer | string) => Buffer.from(data).toString('base64');

export interface KeyPair {
  publicKey: KeyObject;
  privateKey: KeyObject;
}

export function ecKeyPair(namedCurve: 'P-256' | 'P-384' = 'P-256'): KeyPair {
  return generateKeyPairSync('ec', { namedCurve });
}

export const publicPem = (key: KeyObject) => key.export({ type: 'spki', format: 'pem' }).toString();
const spkiDer = (key: KeyObject) => key.export({ type: 'spki', format: 'der' });

// --- statement and DSSE ---------------------------------------------------------------------------

export interface Resource {
  name: string;
  digest: string;
}

/** Resource entries for `names` (relative POSIX paths) under `dir`, hashed here independently. */
export function resourcesOf(dir: string, names: string[]): Resource[] {
  return names.map((name) => ({ name, digest: sha256(readFileSync(join(dir, name))).toString('hex') }));
}

/** The v1.0 statement model_signing writes: resources sorted, subject digest over the raw digests. */
export function modelStatement(modelName: string, resources: Resource[], serialization: object = {}) {
  const sorted = [...resources].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const root = createHash('sha256');
  for (const r of sorted) root.update(Buffer.from(r.digest, 'hex'));
  return {
    _type: 'https://in-toto.io/Statement/v1',
    subject: [{ name: modelName, digest: { sha256: root.digest('hex') } }],
    predicateType: 'https://model_signing/signature/v1.0',
    predicate: {
      serialization: { method: 'files', hash_type: 'sha256', allow_symlinks: false, ...serialization },
      resources: sorted.map((r) => ({ name: r.name, algorithm: 'sha256', digest: r.digest })),
    },
  };
}

/** DSSE pre-authentication encoding: "DSSEv1 <len> <type> <len> <payload>" (lengths in bytes). */
export function pae(payloadType: string, payload: Buffer): Buffer {
  const type = Buffer.from(payloadType);
  return Buffer.concat([
    Buffer.from(`DSSEv1 ${type.length} `),
    type,
    Buffer.from(` ${payload.length} `),
    payload,
  ]);
}

export interface Envelope {
  payload: string;
  payloadType: string;
  signatures: { sig: string; keyid: string }[];
}

/** DSSE-signs a statement; ECDSA hashes with the curve's size, as model_signing does. */
export function signEnvelope(statement: object, privateKey: KeyObject): Envelope {
  const payload = Buffer.from(JSON.stringify(statement, null, 2));
  const curve = privateKey.asymmetricKeyDetails?.namedCurve;
  const signature = sign(curve === 'secp384r1' ? 'sha384' : 'sha256', pae(IN_TOTO, payload), privateKey);
  return { payload: b64(payload), payloadType: IN_TOTO, signatures: [{ sig: b64(signature), keyid: '' }] };
}

/** model_signing's key-signed bundle: a public-key hint (SHA-256 of the PEM) and no log entries. */
export function keyBundle(envelope: Envelope, publicKey: KeyObject) {
  return {
    mediaType: BUNDLE_V03,
    verificationMaterial: {
      publicKey: { hint: sha256(publicPem(publicKey)).toString('hex') },
      tlogEntries: [],
    },
    dsseEnvelope: envelope,
  };
}

export function certificateBundle(envelope: Envelope, leafDer: Buffer, tlogEntries: object[]) {
  return {
    mediaType: BUNDLE_V03,
    verificationMaterial: { certificate: { rawBytes: b64(leafDer) }, tlogEntries },
    dsseEnvelope: envelope,
  };
}

// --- minimal DER writer -------------------------------------------------------------------------------

function tlv(tag: number, ...parts: Buffer[]): Buffer {
  const body = Buffer.concat(parts);
  let length = Buffer.from([body.length]);
  if (body.length >= 0x80) {
    const bytes: number[] = [];
    for (let n = body.length; n > 0; n >>= 8) bytes.unshift(n & 0xff);
    length = Buffer.from([0x80 | bytes.length, ...bytes]);
  }
  return Buffer.concat([Buffer.from([tag]), length, body]);
}

const seq = (...parts: Buffer[]) => tlv(0x30, ...parts);
const octets = (data: Buffer) => tlv(0x04, data);
const utf8 = (text: string) => tlv(0x0c, Buffer.from(text));
const TRUE = tlv(0x01, Buffer.from([0xff]));
const bitString = (data: Buffer, unusedBits = 0) => tlv(0x03, Buffer.from([unusedBits]), data);
const utcTime = (date: Date) =>
  tlv(0x17, Buffer.from(`${date.toISOString().replace(/[-:T]/g, '').slice(2, 14)}Z`));

function oid(dotted: string): Buffer {
  const [first = 0, second = 0, ...rest] = dotted.split('.').map(Number);
  const bytes = [first * 40 + second];
  for (const arc of rest) {
    const chunk = [arc & 0x7f];
    for (let n = arc >>> 7; n > 0; n >>>= 7) chunk.unshift((n & 0x7f) | 0x80);
    bytes.push(...chunk);
  }
  return tlv(0x06, Buffer.from(bytes));
}

const ECDSA_WITH_SHA256 = seq(oid('1.2.840.10045.4.3.2'));
const name = (commonName: string) =>
  seq(tlv(0x31, seq(oid('2.5.4.10'), utf8('arbiter-test')), seq(oid('2.5.4.3'), utf8(commonName))));
const extension = (id: string, value: Buffer, critical = false) =>
  seq(oid(id), ...(critical ? [TRUE] : []), octets(value));

interface CertificateFields {
  subject: Buffer;
  issuer: Buffer;
  publicKey: KeyObject;
  notBefore: Date;
  notAfter: Date;
  extensions: Buffer[];
}

/** An X.509 v3 certificate signed (ECDSA P-256, SHA-256) by `issuerKey`. */
function certificate(fields: CertificateFields, issuerKey: KeyObject): Buffer {
  const serial = tlv(0x02, Buffer.concat([Buffer.from([0x01]), randomBytes(15)]));
  const tbs = seq(
    tlv(0xa0, tlv(0x02, Buffer.from([2]))),
    serial,
    ECDSA_WITH_SHA256,
    fields.issuer,
    seq(utcTime(fields.notBefore), utcTime(fields.notAfter)),
    fields.subject,
    spkiDer(fields.publicKey),
    tlv(0xa3, seq(...fields.extensions)),
  );
  return seq(tbs, ECDSA_WITH_SHA256, bitString(sign('sha256', tbs, issuerKey)));
}

// --- certificate authority and leaf -----------------------------------------------------------------

export interface TestCA extends KeyPair {
  der: Buffer;
  name: Buffer;
  keyId: Buffer;
}

const HOUR = 3_600_000;

export function createTestCA(commonName = 'arbiter-test-fulcio'): TestCA {
  const keys = ecKeyPair();
  const keyId = createHash('sha1').update(spkiDer(keys.publicKey)).digest();
  const subject = name(commonName);
  const now = Date.now();
  const der = certificate(
    {
      subject,
      issuer: subject,
      publicKey: keys.publicKey,
      notBefore: new Date(now - 24 * HOUR),
      notAfter: new Date(now + 24 * HOUR),
      extensions: [
        extension('2.5.29.19', seq(TRUE), true), // basicConstraints: CA
        extension('2.5.29.15', bitString(Buffer.from([0x06]), 1), true), // keyUsage: keyCertSign, cRLSign
        extension('2.5.29.14', octets(keyId)), // subjectKeyIdentifier
      ],
    },
    keys.privateKey,
  );
  return { ...keys, der, name: subject, keyId };
}

export interface LeafOptions {
  /** SAN: an email address (rfc822Name) or, with `uri: true`, a URI. */
  identity: string;
  uri?: boolean;
  /** OIDC issuer, written both as Fulcio's v1 (1.1, raw) and v2 (1.8, UTF8String) extension. */
  issuer: string;
}

/** A Fulcio-style short-lived code-signing certificate: empty subject, identity in the SAN. */
export function issueLeaf(ca: TestCA, options: LeafOptions): KeyPair & { der: Buffer } {
  const keys = ecKeyPair();
  const san = tlv(options.uri ? 0x86 : 0x81, Buffer.from(options.identity));
  const now = Date.now();
  const der = certificate(
    {
      subject: seq(),
      issuer: ca.name,
      publicKey: keys.publicKey,
      notBefore: new Date(now - 5 * 60_000),
      notAfter: new Date(now + 5 * 60_000),
      extensions: [
        extension('2.5.29.15', bitString(Buffer.from([0x80]), 7), true), // keyUsage: digitalSignature
        extension('2.5.29.37', seq(oid('1.3.6.1.5.5.7.3.3'))), // extKeyUsage: codeSigning
        extension('2.5.29.35', seq(tlv(0x80, ca.keyId))), // authorityKeyIdentifier
        extension('2.5.29.17', seq(san), true),
        extension('1.3.6.1.4.1.57264.1.1', Buffer.from(options.issuer)),
        extension('1.3.6.1.4.1.57264.1.8', utf8(options.issuer)),
      ],
    },
    ca.privateKey,
  );
  return { ...keys, der };
}

// --- fake Rekor (v1) log ------------------------------------------------------------------------------

export interface TestLog extends KeyPair {
  baseUrl: string;
  logId: Buffer;
}

export function createTestLog(host = 'rekor.arbiter.test'): TestLog {
  const keys = ecKeyPair();
  return { ...keys, baseUrl: `https://${host}`, logId: sha256(spkiDer(keys.publicKey)) };
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value).sort(([a], [b]) => (a < b ? -1 : 1));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * A dsse v0.0.1 entry at index 0 of a one-entry log, as a Rekor v1 bundle carries it: the signed
 * entry timestamp over {body, integratedTime, logID, logIndex} (canonical JSON), and an inclusion
 * proof whose root is the leaf hash itself, under a checkpoint signed by the log key.
 */
export function logEntry(log: TestLog, envelope: Envelope, leafDer: Buffer, integratedTime = Date.now()) {
  const signature = envelope.signatures[0]?.sig ?? '';
  const leafPem = `-----BEGIN CERTIFICATE-----\n${b64(leafDer)}\n-----END CERTIFICATE-----\n`;
  const body = Buffer.from(
    canonicalJson({
      apiVersion: '0.0.1',
      kind: 'dsse',
      spec: {
        envelopeHash: { algorithm: 'sha256', value: sha256(JSON.stringify(envelope)).toString('hex') },
        payloadHash: {
          algorithm: 'sha256',
          value: sha256(Buffer.from(envelope.payload, 'base64')).toString('hex'),
        },
        signatures: [{ signature, verifier: b64(leafPem) }],
      },
    }),
  );
  const seconds = Math.floor(integratedTime / 1000);
  const set = sign(
    'sha256',
    Buffer.from(
      canonicalJson({
        body: b64(body),
        integratedTime: seconds,
        logID: log.logId.toString('hex'),
        logIndex: 0,
      }),
    ),
    log.privateKey,
  );
  const rootHash = sha256(Buffer.concat([Buffer.from([0]), body]));
  const host = new URL(log.baseUrl).host;
  const note = `${host} - 1\n1\n${b64(rootHash)}\n`;
  const noteSignature = Buffer.concat([
    log.logId.subarray(0, 4),
    sign('sha256', Buffer.from(note), log.privateKey),
  ]);
  return {
    logIndex: '0',
    logId: { keyId: b64(log.logId) },
    kindVersion: { kind: 'dsse', version: '0.0.1' },
    integratedTime: String(seconds),
    inclusionPromise: { signedEntryTimestamp: b64(set) },
    inclusionProof: {
      logIndex: '0',
      rootHash: b64(rootHash),
      treeSize: '1',
      hashes: [],
      checkpoint: { envelope: `${note}\n\u2014 ${host} ${b64(noteSignature)}\n` },
    },
    canonicalizedBody: b64(body),
  };
}

/** A trusted_root.json (v0.1) pinning the test CA and log. */
export function trustedRoot(ca: TestCA, log: TestLog) {
  const start = new Date(Date.now() - 48 * HOUR).toISOString();
  return {
    mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
    tlogs: [
      {
        baseUrl: log.baseUrl,
        hashAlgorithm: 'SHA2_256',
        publicKey: {
          rawBytes: b64(spkiDer(log.publicKey)),
          keyDetails: 'PKIX_ECDSA_P256_SHA_256',
          validFor: { start },
        },
        logId: { keyId: b64(log.logId) },
      },
    ],
    certificateAuthorities: [
      {
        subject: { organization: 'arbiter-test', commonName: 'arbiter-test-fulcio' },
        uri: 'https://fulcio.arbiter.test',
        certChain: { certificates: [{ rawBytes: b64(ca.der) }] },
        validFor: { start },
      },
    ],
    ctlogs: [],
    timestampAuthorities: [],
  };
}
