import { createHash } from 'node:crypto';
import { appendFileSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { verifyModelSignature } from '../../src/app/supply/model-signing-files.js';
import { type ModelSignaturePolicy, ModelSigningError } from '../../src/supply/model-signing.js';
import {
  certificateBundle,
  createTestCA,
  createTestLog,
  ecKeyPair,
  issueLeaf,
  type KeyPair,
  keyBundle,
  logEntry,
  modelStatement,
  publicPem,
  resourcesOf,
  signEnvelope,
  trustedRoot,
} from '../helpers/sigstore-fixtures.js';
import { tempDir } from '../helpers/temp.js';

const base = tempDir('arbiter-model-signing-');
let counter = 0;

const SIGNED = ['config.json', 'tokenizer.json', 'weights/model.safetensors'];

/** A small model directory with git clutter that the signature leaves out, like model_signing does. */
function makeModel(): string {
  const dir = join(base, `model-${++counter}`);
  mkdirSync(join(dir, 'weights'), { recursive: true });
  mkdirSync(join(dir, '.git'), { recursive: true });
  writeFileSync(join(dir, 'config.json'), '{"architectures":["TinyNet"]}\n');
  writeFileSync(join(dir, 'tokenizer.json'), '{"vocab":{"a":0,"b":1}}\n');
  writeFileSync(join(dir, 'weights/model.safetensors'), Buffer.from([1, 2, 3, 4, 5, 6, 7, 8]));
  writeFileSync(join(dir, '.git/HEAD'), 'ref: refs/heads/main\n');
  writeFileSync(join(dir, '.gitattributes'), '*.safetensors filter=lfs\n');
  return dir;
}

function writeJson(path: string, value: unknown): string {
  writeFileSync(path, JSON.stringify(value));
  return path;
}

/** Signs `dir` with `keys` and writes model.sig inside it; returns the signature path. */
function signWithKey(
  dir: string,
  keys: KeyPair,
  statement = modelStatement('tiny', resourcesOf(dir, SIGNED)),
) {
  return writeJson(
    join(dir, 'model.sig'),
    keyBundle(signEnvelope(statement, keys.privateKey), keys.publicKey),
  );
}

const fingerprint = (keys: KeyPair) =>
  `key:${createHash('sha256')
    .update(keys.publicKey.export({ type: 'spki', format: 'der' }))
    .digest('hex')}`;

describe('verifyModelSignature, key-signed bundles', () => {
  const keys = ecKeyPair();
  const policy: ModelSignaturePolicy = { signers: [{ publicKey: publicPem(keys.publicKey) }] };

  it('accepts an intact model signed by the pinned key, ignoring git files and the signature', async () => {
    const dir = makeModel();
    const result = await verifyModelSignature(signWithKey(dir, keys), dir, policy);
    expect(result).toMatchObject({ verified: true, signer: fingerprint(keys), problems: [] });
    expect(result.reason).toBeUndefined();
    expect(result.files).toEqual(resourcesOf(dir, SIGNED).map((r) => ({ name: r.name, sha256: r.digest })));
  });

  it('rejects a signature made by a key the policy does not list', async () => {
    const dir = makeModel();
    const other = ecKeyPair();
    const result = await verifyModelSignature(signWithKey(dir, other), dir, policy);
    expect(result.verified).toBe(false);
    expect(result.signer).toBeUndefined();
    expect(result.reason).toMatch(/bad signature/);
  });

  it('accepts when any listed key matches', async () => {
    const dir = makeModel();
    const result = await verifyModelSignature(signWithKey(dir, keys), dir, {
      signers: [{ publicKey: publicPem(ecKeyPair().publicKey) }, ...policy.signers],
    });
    expect(result.verified).toBe(true);
  });

  it('reports a tampered file', async () => {
    const dir = makeModel();
    const sig = signWithKey(dir, keys);
    appendFileSync(join(dir, 'weights/model.safetensors'), Buffer.from([9]));
    const result = await verifyModelSignature(sig, dir, policy);
    expect(result.verified).toBe(false);
    expect(result.problems).toEqual(['digest mismatch for weights/model.safetensors']);
    expect(result.reason).toMatch(/digest mismatch for weights\/model\.safetensors/);
  });

  it('reports a file added after signing', async () => {
    const dir = makeModel();
    const sig = signWithKey(dir, keys);
    writeFileSync(join(dir, 'weights/extra.bin'), 'surprise');
    const result = await verifyModelSignature(sig, dir, policy);
    expect(result.verified).toBe(false);
    expect(result.problems).toEqual(['unsigned file weights/extra.bin']);
  });

  it('reports a signed file that was removed', async () => {
    const dir = makeModel();
    const sig = signWithKey(dir, keys);
    rmSync(join(dir, 'tokenizer.json'));
    const result = await verifyModelSignature(sig, dir, policy);
    expect(result.verified).toBe(false);
    expect(result.problems).toEqual(['missing signed file tokenizer.json']);
  });

  it('rejects a payload changed after signing', async () => {
    const dir = makeModel();
    const envelope = signEnvelope(modelStatement('tiny', resourcesOf(dir, SIGNED)), keys.privateKey);
    const forged = modelStatement('tiny', resourcesOf(dir, SIGNED.slice(1)));
    envelope.payload = Buffer.from(JSON.stringify(forged, null, 2)).toString('base64');
    const sig = writeJson(join(dir, 'model.sig'), keyBundle(envelope, keys.publicKey));
    const result = await verifyModelSignature(sig, dir, policy);
    expect(result.verified).toBe(false);
    expect(result.reason).toMatch(/bad signature/);
    expect(result.files).toEqual([]);
  });

  it('rejects a signed statement whose subject digest does not commit to its resources', async () => {
    const dir = makeModel();
    const statement = modelStatement('tiny', resourcesOf(dir, SIGNED));
    statement.subject[0]!.digest.sha256 = '0'.repeat(64);
    const result = await verifyModelSignature(signWithKey(dir, keys, statement), dir, policy);
    expect(result).toMatchObject({ verified: false, signer: fingerprint(keys) });
    expect(result.reason).toMatch(/subject digest/);
  });

  it('rejects a signed statement of another predicate type', async () => {
    const dir = makeModel();
    const statement = {
      ...modelStatement('tiny', resourcesOf(dir, SIGNED)),
      predicateType: 'https://slsa.dev/provenance/v1',
    };
    const result = await verifyModelSignature(signWithKey(dir, keys, statement), dir, policy);
    expect(result.verified).toBe(false);
    expect(result.reason).toMatch(/predicateType https:\/\/slsa\.dev\/provenance\/v1/);
  });

  it('honours the signed ignore_paths', async () => {
    const dir = makeModel();
    writeFileSync(join(dir, 'README.md'), 'not part of the model');
    const statement = modelStatement('tiny', resourcesOf(dir, SIGNED), { ignore_paths: ['README.md'] });
    const ignored = await verifyModelSignature(signWithKey(dir, keys, statement), dir, policy);
    expect(ignored.problems).toEqual([]);
    const notIgnored = await verifyModelSignature(signWithKey(dir, keys), dir, policy);
    expect(notIgnored.problems).toEqual(['unsigned file README.md']);
  });

  it('refuses signed resource names that leave the model directory', async () => {
    const dir = makeModel();
    const statement = modelStatement('tiny', [
      ...resourcesOf(dir, SIGNED),
      { name: '../outside.bin', digest: '0'.repeat(64) },
    ]);
    const result = await verifyModelSignature(signWithKey(dir, keys, statement), dir, policy);
    expect(result.verified).toBe(false);
    expect(result.reason).toMatch(/escapes the model directory/);
  });

  it('rejects a signed file replaced by a symbolic link unless the signature allows symlinks', async () => {
    const dir = makeModel();
    const sig = signWithKey(dir, keys);
    const copy = join(base, `tokenizer-${counter}.json`);
    writeFileSync(copy, readFileSync(join(dir, 'tokenizer.json')));
    rmSync(join(dir, 'tokenizer.json'));
    symlinkSync(copy, join(dir, 'tokenizer.json'));
    const result = await verifyModelSignature(sig, dir, policy);
    expect(result.problems).toEqual([
      'tokenizer.json is a symbolic link, which the signature does not allow',
    ]);
    const allowing = modelStatement('tiny', resourcesOf(dir, SIGNED), { allow_symlinks: true });
    expect((await verifyModelSignature(signWithKey(dir, keys, allowing), dir, policy)).verified).toBe(true);
  });

  it('verifies a single-file model, whose only resource model_signing names "."', async () => {
    const dir = makeModel();
    const file = join(dir, 'weights/model.safetensors');
    const [weights] = resourcesOf(dir, ['weights/model.safetensors']);
    const statement = modelStatement('model.safetensors', [{ name: '.', digest: weights!.digest }]);
    const sig = writeJson(
      join(base, `single-${counter}.sig`),
      keyBundle(signEnvelope(statement, keys.privateKey), keys.publicKey),
    );
    expect((await verifyModelSignature(sig, file, policy)).verified).toBe(true);
    appendFileSync(file, 'x');
    expect((await verifyModelSignature(sig, file, policy)).problems).toEqual(['digest mismatch for .']);
  });

  it('verifies P-384 signatures hashed with SHA-384, as model_signing makes them', async () => {
    const dir = makeModel();
    const p384 = ecKeyPair('P-384');
    const result = await verifyModelSignature(signWithKey(dir, p384), dir, {
      signers: [{ publicKey: publicPem(p384.publicKey) }],
    });
    expect(result).toMatchObject({ verified: true, signer: fingerprint(p384) });
  });

  it('reads the v1.0.0 layout: publicKey rawBytes/keyDetails, no hint, no tlogEntries', async () => {
    const dir = makeModel();
    const bundle = keyBundle(
      signEnvelope(modelStatement('tiny', resourcesOf(dir, SIGNED)), keys.privateKey),
      keys.publicKey,
    );
    const legacy = {
      ...bundle,
      verificationMaterial: {
        publicKey: {
          rawBytes: Buffer.from(publicPem(keys.publicKey)).toString('base64'),
          keyDetails: 'PKIX_ECDSA_P256_SHA_256',
        },
      },
    };
    const result = await verifyModelSignature(writeJson(join(dir, 'model.sig'), legacy), dir, policy);
    expect(result.verified).toBe(true);
  });

  it('needs a public key in the policy for a key-signed bundle', async () => {
    const dir = makeModel();
    const result = await verifyModelSignature(signWithKey(dir, keys), dir, {
      signers: [{ identity: 'alice@example.com', issuer: 'https://accounts.example.com' }],
    });
    expect(result.verified).toBe(false);
    expect(result.reason).toMatch(/policy lists no public keys/);
  });

  it('throws ModelSigningError for unreadable or malformed input', async () => {
    const dir = makeModel();
    const sig = signWithKey(dir, keys);
    const garbage = join(dir, 'garbage.sig');
    writeFileSync(garbage, 'not json');
    await expect(verifyModelSignature(garbage, dir, policy)).rejects.toThrow(ModelSigningError);
    const notBundle = writeJson(join(base, 'not-bundle.sig'), { mediaType: 'text/plain' });
    await expect(verifyModelSignature(notBundle, dir, policy)).rejects.toThrow(/malformed Sigstore bundle/);
    await expect(verifyModelSignature(join(dir, 'absent.sig'), dir, policy)).rejects.toThrow(
      ModelSigningError,
    );
    await expect(verifyModelSignature(sig, join(dir, 'absent'), policy)).rejects.toThrow(/cannot read model/);
    await expect(verifyModelSignature(sig, dir, { signers: [{ publicKey: 'nope' }] })).rejects.toThrow(
      ModelSigningError,
    );
    await expect(verifyModelSignature(sig, dir, { signers: [] })).rejects.toThrow(ModelSigningError);
  });
});

describe('verifyModelSignature, keyless (certificate) bundles', () => {
  const email = 'alice@example.com';
  const issuer = 'https://accounts.example.com';
  const ca = createTestCA();
  const log = createTestLog();
  const root = trustedRoot(ca, log);
  const allow = (identity = email, oidcIssuer = issuer): ModelSignaturePolicy => ({
    signers: [{ identity, issuer: oidcIssuer }],
    trustedRoot: root,
  });
  let dir: string;
  let sig: string;

  /** Signs `dir` with a fresh leaf from `signingCA`, logged in `signingLog`; `withLog: false` omits the entry. */
  function signKeyless(
    target: string,
    options: { signingCA?: typeof ca; identity?: string; uri?: boolean; withLog?: boolean } = {},
  ) {
    const leaf = issueLeaf(options.signingCA ?? ca, {
      identity: options.identity ?? email,
      uri: options.uri,
      issuer,
    });
    const envelope = signEnvelope(modelStatement('tiny', resourcesOf(target, SIGNED)), leaf.privateKey);
    const entries = options.withLog === false ? [] : [logEntry(log, envelope, leaf.der)];
    return writeJson(join(target, 'model.sig'), certificateBundle(envelope, leaf.der, entries));
  }

  beforeAll(() => {
    dir = makeModel();
    sig = signKeyless(dir);
  });

  it('accepts the pinned identity and issuer', async () => {
    const result = await verifyModelSignature(sig, dir, allow());
    expect(result).toMatchObject({ verified: true, signer: `${email} (issuer ${issuer})`, problems: [] });
    expect(result.files.map((f) => f.name)).toEqual(SIGNED);
  });

  it('rejects another identity, naming who signed', async () => {
    const result = await verifyModelSignature(sig, dir, allow('mallory@example.com'));
    expect(result.verified).toBe(false);
    expect(result.signer).toBe(`${email} (issuer ${issuer})`);
    expect(result.reason).toMatch(/untrusted signer/);
  });

  it('rejects the right identity from another issuer', async () => {
    const result = await verifyModelSignature(sig, dir, allow(email, 'https://evil.example.com'));
    expect(result.verified).toBe(false);
    expect(result.reason).toMatch(/untrusted signer/);
  });

  it('matches a URI identity (workload certificates)', async () => {
    const workload = makeModel();
    const uri = 'https://github.com/acme/models/.github/workflows/sign.yml@refs/heads/main';
    const signed = signKeyless(workload, { identity: uri, uri: true });
    expect((await verifyModelSignature(signed, workload, allow(uri))).verified).toBe(true);
  });

  it('rejects a certificate from a CA the trusted root does not pin', async () => {
    const rogue = makeModel();
    const signed = signKeyless(rogue, { signingCA: createTestCA() });
    const result = await verifyModelSignature(signed, rogue, allow());
    expect(result.verified).toBe(false);
    expect(result.reason).toMatch(/certificate chain/);
  });

  it('rejects a log entry whose signed entry timestamp does not verify', async () => {
    const other = makeModel();
    const signed = signKeyless(other);
    const bundle = JSON.parse(readFileSync(signed, 'utf8'));
    bundle.verificationMaterial.tlogEntries[0].integratedTime = String(Math.floor(Date.now() / 1000) - 60);
    const result = await verifyModelSignature(writeJson(signed, bundle), other, allow());
    expect(result.verified).toBe(false);
    expect(result.reason).toMatch(/inclusion promise could not be verified/);
  });

  it('requires a log entry: without a verified time the certificate cannot be checked offline', async () => {
    const bare = makeModel();
    const signed = signKeyless(bare, { withLog: false });
    const result = await verifyModelSignature(signed, bare, allow());
    expect(result.verified).toBe(false);
    expect(result.reason).toMatch(/cannot be checked offline/);
  });

  it('requires the pinned trusted root', async () => {
    const result = await verifyModelSignature(sig, dir, { signers: allow().signers });
    expect(result.verified).toBe(false);
    expect(result.reason).toMatch(/trustedRoot/);
    await expect(verifyModelSignature(sig, dir, { ...allow(), trustedRoot: { tlogs: [] } })).rejects.toThrow(
      ModelSigningError,
    );
  });

  it('still checks the files after a valid keyless signature', async () => {
    const changed = makeModel();
    const signed = signKeyless(changed);
    writeFileSync(join(changed, 'config.json'), '{}');
    const result = await verifyModelSignature(signed, changed, allow());
    expect(result).toMatchObject({ verified: false, problems: ['digest mismatch for config.json'] });
  });
});
