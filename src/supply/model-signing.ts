/**
 * Offline verification of OpenSSF model-signing signatures (`model.sig`, the `model_signing` v1.0
 * format of github.com/sigstore/model-transparency).
 *
 * `model.sig` is a Sigstore bundle (mediaType application/vnd.dev.sigstore.bundle.v0.3+json) holding a
 * DSSE envelope (payloadType application/vnd.in-toto+json) over an in-toto Statement v1 with
 * predicateType https://model_signing/signature/v1.0: one subject {name: model name, digest: {sha256:
 * SHA-256 over the concatenated raw bytes of the resource digests, in listed order}} and a predicate
 * {serialization: {method: "files", hash_type: "sha256", allow_symlinks, ignore_paths?}, resources:
 * [{name: POSIX path relative to the model root ("." for a single-file model), algorithm, digest: hex}]}.
 */
import { createHash, createPublicKey, verify as cryptoVerify, type KeyObject } from 'node:crypto';
import { type Bundle, bundleFromJSON } from '@sigstore/bundle';
import { dsse } from '@sigstore/core';
// Not a direct dependency: it comes with @sigstore/verify and @sigstore/bundle, and is the only parser
// for the trusted_root.json format that toTrustMaterial consumes.
import { TrustedRoot } from '@sigstore/protobuf-specs';
import {
  type SignedEntity,
  type Signer,
  type TrustMaterial,
  toSignedEntity,
  toTrustMaterial,
  Verifier,
  type VerifierOptions,
} from '@sigstore/verify';

export interface ModelSignaturePolicy {
  /** Accepted signers. Keyless: certificate SAN identity (email or URI) + OIDC issuer; or a PEM public key (key-based signing). At least one must match. */
  signers: ({ identity: string; issuer: string } | { publicKey: string })[];
  /** The pinned Sigstore trusted root (JSON object, the `trusted_root.json` format, mediaType application/vnd.dev.sigstore.trustedroot+json;version=0.1). Required for keyless certificates; for key-based signatures may be omitted. */
  trustedRoot?: unknown;
}

export interface ModelSignatureResult {
  verified: boolean;
  /** Who signed: the certificate identity+issuer, or 'key:<sha256 fingerprint of the SPKI>'. Set once the signature itself verifies, even if the policy then rejects that signer. */
  signer?: string;
  /** Files listed in the signature with their digests (empty when the signature itself does not verify). */
  files: { name: string; sha256: string }[];
  /** Files present under the model directory but not in the signature, and signed files missing or with a different digest. */
  problems: string[];
  /** Why it failed, readable (bad signature, untrusted signer, digest mismatch for x, …). */
  reason?: string;
}

/**
 * The model a signature covers, as the verifier needs to see it: a port, so the verification is pure
 * and the file system stays at the edge (app/supply/model-signing-files.ts).
 */
export interface ModelTree {
  /** True for a directory of files, false for a single-file model. */
  isDirectory: boolean;
  /** Where the signature file itself sits inside the model directory (relative POSIX path), if it does. */
  signatureName?: string;
  /** What is at `name` (relative POSIX path; "." is a single-file model itself); undefined when nothing is. */
  stat(name: string): Promise<{ symlink: boolean; regularFile: boolean } | undefined>;
  /** Hex SHA-256 of the file at `name`. */
  sha256(name: string): Promise<string>;
  /** Every non-directory entry as a relative POSIX path, sorted; `skip` prunes a path before it is visited. */
  list(skip: (relative: string) => boolean): Promise<string[]>;
}

/** A signature file's name (for messages) and its text. */
export interface SignatureFile {
  name: string;
  text: string;
}

/** Unreadable or malformed input: signature file, model path or policy. Never a verification failure. */
export class ModelSigningError extends Error {
  override name = 'ModelSigningError';
}

const BUNDLE_V03 = 'application/vnd.dev.sigstore.bundle.v0.3+json';
const BUNDLE_V02 = 'application/vnd.dev.sigstore.bundle+json;version=0.2';
const IN_TOTO_PAYLOAD_TYPE = 'application/vnd.in-toto+json';
const STATEMENT_V1 = 'https://in-toto.io/Statement/v1';
const PREDICATE_V1 = 'https://model_signing/signature/v1.0';
const PREDICATE_V02 = 'https://model_signing/Digests/v0.1';

// Key-signed bundles (model_signing's `key` method) carry no certificate, tlog entry or timestamp: the
// pinned public key is the whole trust anchor, so nothing more can be demanded offline. Any tlog entry or
// RFC 3161 timestamp that is present is still verified by the Verifier against the trusted root.
const KEY_THRESHOLDS: VerifierOptions = { tlogThreshold: 0, ctlogThreshold: 0, timestampThreshold: 0 };

// Keyless (Fulcio) bundles. @sigstore/verify checks the certificate chain only at verified timestamps
// (with none it never checks the chain), so one is required: the Rekor integrated time, trusted through
// its signed entry timestamp (SET) and the root's log key, or an RFC 3161 timestamp from a root TSA.
// The leaf must chain to a root certificate authority valid at that time. The tlog entry is required, as
// sigstore-python does: its SET and/or Merkle inclusion proof against a checkpoint signed by a root log
// key, and that its body names this very signature and payload. SCTs embedded in the certificate are
// verified against the root's CT logs when present but not required (private Fulcio may run without CT).
// Not checked offline: that the checkpoint is consistent with the live log (no witnesses or consistency
// proof), and revocation, which Sigstore does not have for its ten-minute certificates.
const CERT_THRESHOLDS: VerifierOptions = { tlogThreshold: 1, ctlogThreshold: 0, timestampThreshold: 1 };

/** Verifies a model signature over `model`, offline. Never throws for a verification failure (returns verified:false with reason); throws ModelSigningError only for malformed input. */
export async function verifySignedModel(
  signature: SignatureFile,
  model: ModelTree,
  policy: ModelSignaturePolicy,
): Promise<ModelSignatureResult> {
  if (!Array.isArray(policy.signers) || policy.signers.length === 0) {
    throw new ModelSigningError('policy.signers must list at least one accepted signer');
  }
  const keys = policy.signers.flatMap((s) => ('publicKey' in s ? [parsePublicKey(s.publicKey)] : []));
  const trust = trustMaterial(policy.trustedRoot);
  const { bundle, entity } = readBundle(signature);

  const signed =
    entity.key.$case === 'public-key'
      ? verifyWithKeys(entity, trust, keys)
      : verifyWithCertificate(entity, trust, policy);
  const signer = signed.signer === undefined ? {} : { signer: signed.signer };
  if ('reason' in signed)
    return { verified: false, ...signer, files: [], problems: [], reason: signed.reason };

  const manifest = readStatement(bundle);
  if (typeof manifest === 'string')
    return { verified: false, ...signer, files: [], problems: [], reason: manifest };

  const problems = await compareModel(model, manifest);
  const shown =
    problems.slice(0, 3).join('; ') + (problems.length > 3 ? `; and ${problems.length - 3} more` : '');
  return {
    verified: problems.length === 0,
    ...signer,
    files: manifest.files,
    problems,
    ...(problems.length > 0 ? { reason: `model does not match the signature: ${shown}` } : {}),
  };
}

type SignatureCheck = { signer: string } | { signer?: string; reason: string };

function verifyWithKeys(entity: SignedEntity, trust: TrustMaterial, keys: KeyObject[]): SignatureCheck {
  if (keys.length === 0)
    return { reason: 'the bundle is signed with a public key but the policy lists no public keys' };
  let failure = '';
  for (const key of keys) {
    // The policy key is the trust anchor, so the bundle's key hint is not consulted and any time is valid.
    const material = { ...trust, publicKey: () => ({ publicKey: key, validFor: () => true }) };
    try {
      new Verifier(material, KEY_THRESHOLDS).verify(entity);
      return { signer: `key:${fingerprint(key)}` };
    } catch (error) {
      failure = describe(error);
    }
  }
  return { reason: `bad signature: no policy public key verifies it (${failure})` };
}

function verifyWithCertificate(
  entity: SignedEntity,
  trust: TrustMaterial,
  policy: ModelSignaturePolicy,
): SignatureCheck {
  if (trust.certificateAuthorities.length === 0) {
    return {
      reason:
        'the bundle is signed with a certificate: policy.trustedRoot with certificate authorities is required',
    };
  }
  if (entity.timestamps.length === 0) {
    // Also what model_signing's PKI `certificate` method produces: a bare chain, no log entry, no timestamp.
    return {
      reason:
        'the certificate cannot be checked offline: the bundle has no transparency-log inclusion promise or RFC 3161 timestamp',
    };
  }
  let verified: Signer;
  try {
    verified = new Verifier(trust, CERT_THRESHOLDS).verify(entity);
  } catch (error) {
    return { reason: `bad signature: ${describe(error)}` };
  }
  const identity = verified.identity?.subjectAlternativeName;
  const issuer = verified.identity?.extensions?.issuer;
  const signer = `${identity ?? '<no identity>'} (issuer ${issuer ?? '<none>'})`;
  const accepted = policy.signers.some(
    (s) => 'identity' in s && s.identity === identity && s.issuer === issuer,
  );
  return accepted ? { signer } : { signer, reason: `untrusted signer: ${signer} is not in the policy` };
}

/**
 * @sigstore/verify checks ECDSA signatures with Node's default digest, SHA-256, whatever the curve, but
 * model_signing (like Sigstore's PKIX_ECDSA_P384_SHA_384 key details) hashes with the curve's own size.
 * Swap in a DSSE check that does; the Verifier's other checks use the unchanged content.
 */
function withCurveHash(entity: SignedEntity, pae: Buffer): SignedEntity {
  const content = entity.signature;
  return {
    ...entity,
    signature: {
      signature: content.signature,
      compareSignature: (signature) => content.compareSignature(signature),
      compareDigest: (digest) => content.compareDigest(digest),
      verifySignature: (key) => {
        const curve = key.asymmetricKeyType === 'ec' ? key.asymmetricKeyDetails?.namedCurve : undefined;
        const hash = curve === 'secp384r1' ? 'sha384' : curve === 'secp521r1' ? 'sha512' : undefined;
        if (!hash) return content.verifySignature(key);
        try {
          return cryptoVerify(hash, pae, key, content.signature);
        } catch {
          return false;
        }
      },
    },
  };
}

function readBundle(signature: SignatureFile): { bundle: Bundle; entity: SignedEntity } {
  const path = signature.name;
  let json: unknown;
  try {
    json = JSON.parse(signature.text);
  } catch (error) {
    throw new ModelSigningError(`cannot read signature ${path}: ${message(error)}`, { cause: error });
  }
  try {
    const bundle = bundleFromJSON(tolerateChain(json));
    if (bundle.content.$case !== 'dsseEnvelope') throw new Error('content is not a DSSE envelope');
    const { payloadType, payload } = bundle.content.dsseEnvelope;
    return {
      bundle,
      entity: withCurveHash(toSignedEntity(bundle), dsse.preAuthEncoding(payloadType, payload)),
    };
  } catch (error) {
    throw new ModelSigningError(`malformed Sigstore bundle in ${path}: ${describe(error)}`, { cause: error });
  }
}

/**
 * model_signing's PKI `certificate` method writes an x509CertificateChain under the v0.3 media type,
 * which the v0.3 schema forbids (only a single `certificate`); read such bundles by the v0.2 rules,
 * which describe the same structure with chains allowed, so they fail with a reason, not as malformed.
 */
function tolerateChain(json: unknown): unknown {
  if (!isRecord(json) || json.mediaType !== BUNDLE_V03) return json;
  const material = json.verificationMaterial;
  return isRecord(material) && 'x509CertificateChain' in material ? { ...json, mediaType: BUNDLE_V02 } : json;
}

function trustMaterial(root: unknown): TrustMaterial {
  if (root !== undefined) {
    const mediaType = isRecord(root) ? root.mediaType : undefined;
    if (typeof mediaType !== 'string' || !mediaType.startsWith('application/vnd.dev.sigstore.trustedroot')) {
      throw new ModelSigningError(
        'policy.trustedRoot is not a Sigstore trusted root (mediaType application/vnd.dev.sigstore.trustedroot+json;version=0.1)',
      );
    }
  }
  try {
    // Keys come from the policy (see verifyWithKeys), never from the root.
    return toTrustMaterial(TrustedRoot.fromJSON(root ?? {}), () => {
      throw new Error('no public key is trusted');
    });
  } catch (error) {
    throw new ModelSigningError(`malformed policy.trustedRoot: ${message(error)}`, { cause: error });
  }
}

function parsePublicKey(pem: string): KeyObject {
  try {
    return createPublicKey(pem);
  } catch (error) {
    throw new ModelSigningError(`policy public key is not a PEM public key: ${message(error)}`, {
      cause: error,
    });
  }
}

function fingerprint(key: KeyObject): string {
  return createHash('sha256')
    .update(key.export({ type: 'spki', format: 'der' }))
    .digest('hex');
}

interface SignedManifest {
  files: { name: string; sha256: string }[];
  ignorePaths: string[];
  allowSymlinks: boolean;
}

/** The signed statement, checked for the v1.0 shape; a string is the reason it is unusable. */
function readStatement(bundle: Bundle): SignedManifest | string {
  if (bundle.content.$case !== 'dsseEnvelope') return 'content is not a DSSE envelope';
  const { payloadType, payload } = bundle.content.dsseEnvelope;
  if (payloadType !== IN_TOTO_PAYLOAD_TYPE) return `unexpected DSSE payload type ${payloadType}`;
  let statement: unknown;
  try {
    statement = JSON.parse(payload.toString('utf8'));
  } catch {
    return 'the signed payload is not JSON';
  }
  if (!isRecord(statement) || statement._type !== STATEMENT_V1)
    return 'the signed payload is not an in-toto Statement v1';
  if (statement.predicateType === PREDICATE_V02)
    return 'pre-1.0 model_signing signatures (Digests/v0.1) are not supported';
  if (statement.predicateType !== PREDICATE_V1)
    return `unexpected predicateType ${String(statement.predicateType)}`;
  const { subject, predicate } = statement;
  const rootDigest =
    Array.isArray(subject) && subject.length === 1 && isRecord(subject[0]) ? subject[0].digest : undefined;
  if (!isRecord(rootDigest) || typeof rootDigest.sha256 !== 'string')
    return 'the statement needs exactly one subject with a sha256 digest';
  if (!isRecord(predicate) || !isRecord(predicate.serialization) || !Array.isArray(predicate.resources)) {
    return 'the predicate lacks serialization or resources';
  }
  const {
    method,
    hash_type: hashType,
    allow_symlinks: allowSymlinks,
    ignore_paths: ignorePaths,
  } = predicate.serialization;
  if (method !== 'files' || hashType !== 'sha256') {
    return `unsupported serialization ${String(method)}/${String(hashType)} (only files/sha256 is supported)`;
  }
  if (
    ignorePaths !== undefined &&
    !(Array.isArray(ignorePaths) && ignorePaths.every((p) => typeof p === 'string'))
  ) {
    return 'serialization.ignore_paths is not a list of paths';
  }

  const files: SignedManifest['files'] = [];
  const root = createHash('sha256');
  for (const resource of predicate.resources) {
    if (!isRecord(resource) || typeof resource.name !== 'string' || typeof resource.digest !== 'string') {
      return 'a resource lacks a name or digest';
    }
    const { name, digest, algorithm } = resource;
    if (algorithm !== 'sha256' || !/^[0-9a-f]{64}$/.test(digest))
      return `resource ${name} has no sha256 digest`;
    if (!isSafeName(name)) return `resource name ${JSON.stringify(name)} escapes the model directory`;
    if (files.some((f) => f.name === name)) return `resource ${name} is listed twice`;
    files.push({ name, sha256: digest });
    root.update(Buffer.from(digest, 'hex'));
  }
  // model_signing checks this too: the subject digest commits to exactly this resource list.
  if (root.digest('hex') !== rootDigest.sha256)
    return 'the subject digest does not match the listed resources';
  return {
    files,
    ignorePaths: (ignorePaths as string[] | undefined) ?? [],
    allowSymlinks: allowSymlinks === true,
  };
}

/** Relative POSIX path inside the model (or "." for the single-file model itself). */
function isSafeName(name: string): boolean {
  if (name === '.') return true;
  const parts = name.split('/');
  return (
    name !== '' &&
    !name.startsWith('/') &&
    !name.includes('\\') &&
    parts.every((p) => p !== '' && p !== '.' && p !== '..')
  );
}

async function compareModel(model: ModelTree, manifest: SignedManifest): Promise<string[]> {
  const problems: string[] = [];
  const signed = new Set(manifest.files.map((f) => f.name));
  for (const { name, sha256 } of manifest.files) {
    // model_signing names a single-file model's only resource "." (the file relative to itself).
    const applies = name === '.' ? !model.isDirectory : model.isDirectory;
    const entry = applies ? await model.stat(name) : undefined;
    if (entry === undefined) {
      problems.push(`missing signed file ${name}`);
    } else if (entry.symlink && !manifest.allowSymlinks) {
      problems.push(`${name} is a symbolic link, which the signature does not allow`);
    } else if (!entry.regularFile) {
      problems.push(`${name} is not a regular file`);
    } else if ((await model.sha256(name)) !== sha256) {
      problems.push(`digest mismatch for ${name}`);
    }
  }
  if (model.isDirectory) {
    const ignored = manifest.ignorePaths.map((p) => p.replace(/\/+$/, ''));
    const skip = (rel: string) =>
      rel === model.signatureName ||
      rel.split('/').some((part) => part.startsWith('.')) ||
      ignored.some((p) => rel === p || rel.startsWith(`${p}/`));
    for (const name of await model.list(skip)) {
      if (!signed.has(name)) problems.push(`unsigned file ${name}`);
    }
  }
  return problems;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** A Verifier error with its cause, e.g. "Failed to verify certificate chain: no valid certificate path found". */
function describe(error: unknown): string {
  const cause = error instanceof Error ? error.cause : undefined;
  return cause === undefined ? message(error) : `${message(error)}: ${message(cause)}`;
}
