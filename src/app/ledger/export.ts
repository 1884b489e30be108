import { createReadStream, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { ArbiterError } from '../../core/errors.js';
import type { AuditSource } from '../../ledger/audit.js';
import type { PersonalValue } from '../../ledger/entry.js';
import { verificationChunkSize } from '../../ledger/verify-chunk.js';
import { cosignedCheckpoints } from './cosigned-checkpoints.js';
import type { Ledger } from './ledger.js';

/**
 * The export format: a directory anyone can verify offline with the verifier key alone.
 * Every file is plain text, and manifest.json says what each one is.
 */
export const exportFormat = 'arbiter-ledger-export';
const chunk = 10_000;
const files = {
  manifest: 'manifest.json',
  entries: 'entries.jsonl',
  leafHashes: 'leaf-hashes.txt',
  checkpoints: 'checkpoints',
  consistency: 'consistency.json',
  personal: 'personal.jsonl',
  verifierKey: 'verifier.key',
  readme: 'README.md',
} as const;

export interface ExportManifest {
  format: typeof exportFormat;
  version: 1;
  origin: string;
  size: number;
  root: string;
  exportedAt: string;
  files: typeof files;
  hashing: string;
}

const readme = `# Arbiter ledger export

This directory is a complete, self-describing copy of an Arbiter ledger. To verify it offline:

    arbiter ledger verify . --key <verifier key you obtained independently>

Files:
- manifest.json — origin (the log's name), size and root at export time, this list of files.
- entries.jsonl — one entry per line, exactly the bytes that were hashed: RFC 8785 canonical JSON of
  {v, seq, time, type, actor, subject, data}. Leaf hash = SHA-256(0x00 || line bytes).
- leaf-hashes.txt — the leaf hash recorded for each entry when it was appended, lowercase hex, one per line.
- checkpoints/*.note — signed checkpoints (c2sp.org/tlog-checkpoint as a c2sp.org/signed-note, Ed25519):
  origin, tree size, base64 root hash; after the log's signature, the cosignature/v1 lines of the
  witnesses that cosigned it (c2sp.org/tlog-cosignature).
- consistency.json — RFC 6962 consistency proofs between consecutive checkpoints (base64 hashes).
- personal.jsonl — personal data kept beside the log: {seq, field, salt (base64), value}; each entry holds
  only the commitment SHA-256(salt || canonical JSON of value). Erased values are absent.
- verifier.key — the verifier key of the log, for reference. Do not trust it: verify with a key you got
  from the log's operator through another channel.

Merkle tree: RFC 6962 / RFC 9162 §2 (SHA-256, node hash = SHA-256(0x01 || left || right)).
`;

/** Writes the ledger to `dir`, which must not exist or be empty. Streams entries in chunks. */
export async function exportLedger(
  ledger: Ledger,
  dir: string,
  onProgress?: (done: number, total: number) => void,
): Promise<ExportManifest> {
  if (existsSync(dir) && readdirSync(dir).length > 0) {
    throw new ArbiterError(
      'ARB_ERR_LEDGER_EXPORT',
      `export directory ${dir} is not empty; choose a new directory`,
    );
  }
  mkdirSync(join(dir, files.checkpoints), { recursive: true });
  const reader = ledger.store.ledger;
  const size = await reader.size();
  const entriesFile = await open(join(dir, files.entries), 'w');
  const hashesFile = await open(join(dir, files.leafHashes), 'w');
  const personalFile = await open(join(dir, files.personal), 'w');
  try {
    for (let start = 0; start < size; start += chunk) {
      const end = Math.min(size, start + chunk);
      const entries = await reader.entries(start, end);
      await entriesFile.write(
        entries.map((entry) => `${Buffer.from(entry.bytes).toString('utf8')}\n`).join(''),
      );
      await hashesFile.write(
        entries.map((entry) => `${Buffer.from(entry.leafHash).toString('hex')}\n`).join(''),
      );
      const personal = await reader.personal(start, end);
      await personalFile.write(
        personal
          .map(
            (value) =>
              `${JSON.stringify({ seq: value.seq, field: value.field, salt: Buffer.from(value.salt).toString('base64'), value: value.value })}\n`,
          )
          .join(''),
      );
      onProgress?.(end, size);
    }
  } finally {
    await Promise.all([entriesFile.close(), hashesFile.close(), personalFile.close()]);
  }
  // With the witnesses' cosignature lines: an auditor can require a quorum offline.
  const checkpoints = (await cosignedCheckpoints(ledger.store)).filter(
    (checkpoint) => checkpoint.size <= size,
  );
  for (const checkpoint of checkpoints) {
    writeFileSync(
      join(dir, files.checkpoints, `${String(checkpoint.size).padStart(12, '0')}.note`),
      checkpoint.note,
    );
  }
  const consistency = [];
  for (let i = 1; i < checkpoints.length; i++) {
    const from = checkpoints[i - 1]!.size;
    const to = checkpoints[i]!.size;
    const proof = await ledger.log.consistencyProof(reader, from, to);
    consistency.push({ from, to, proof: proof.map((hash) => Buffer.from(hash).toString('base64')) });
  }
  writeFileSync(join(dir, files.consistency), `${JSON.stringify(consistency, null, 2)}\n`);
  writeFileSync(join(dir, files.verifierKey), `${ledger.verifierKey}\n`);
  writeFileSync(join(dir, files.readme), readme);
  const { root } = await ledger.log.root(reader, size);
  const manifest: ExportManifest = {
    format: exportFormat,
    version: 1,
    origin: ledger.origin,
    size,
    root: Buffer.from(root).toString('base64'),
    exportedAt: new Date().toISOString(),
    files,
    hashing: 'RFC 6962: leaf = SHA-256(0x00 || entry line bytes), node = SHA-256(0x01 || left || right)',
  };
  writeFileSync(join(dir, files.manifest), `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
}

async function* lines(path: string): AsyncIterable<string> {
  if (!existsSync(path)) return;
  const input = createInterface({ input: createReadStream(path), crlfDelay: Number.POSITIVE_INFINITY });
  for await (const line of input) if (line !== '') yield line;
}

/** Reads an export directory for `auditLedger`; the manifest's origin is returned for checking. */
export function exportAuditSource(dir: string): { source: AuditSource; manifest: ExportManifest } {
  let manifest: ExportManifest;
  try {
    manifest = JSON.parse(readFileSync(join(dir, files.manifest), 'utf8')) as ExportManifest;
  } catch (error) {
    throw new ArbiterError(
      'ARB_ERR_LEDGER_EXPORT',
      `${dir} is not a ledger export: cannot read ${files.manifest} (${(error as Error).message})`,
    );
  }
  if (manifest.format !== exportFormat || manifest.version !== 1) {
    throw new ArbiterError(
      'ARB_ERR_LEDGER_EXPORT',
      `${dir}: manifest format ${String(manifest.format)} v${String(manifest.version)} is not supported`,
    );
  }
  for (const name of [files.entries, files.leafHashes]) {
    if (!existsSync(join(dir, name)))
      throw new ArbiterError('ARB_ERR_LEDGER_EXPORT', `${dir}: ${name} is missing`);
  }
  const source: AuditSource = {
    async *entries() {
      const hashes = lines(join(dir, files.leafHashes))[Symbol.asyncIterator]();
      for await (const line of lines(join(dir, files.entries))) {
        const bytes = new TextEncoder().encode(line);
        const hash = await hashes.next();
        yield { bytes, ...(hash.done ? {} : { leafHash: new Uint8Array(Buffer.from(hash.value, 'hex')) }) };
      }
    },
    async checkpoints() {
      const folder = join(dir, files.checkpoints);
      if (!existsSync(folder)) return [];
      return readdirSync(folder)
        .filter((name) => name.endsWith('.note'))
        .sort()
        .map((name) => readFileSync(join(folder, name), 'utf8'));
    },
    async consistencyProofs() {
      const path = join(dir, files.consistency);
      if (!existsSync(path)) return [];
      const proofs = JSON.parse(readFileSync(path, 'utf8')) as {
        from: number;
        to: number;
        proof: string[];
      }[];
      return proofs.map(({ from, to, proof }) => ({
        from,
        to,
        proof: proof.map((hash) => new Uint8Array(Buffer.from(hash, 'base64'))),
      }));
    },
    async *personal() {
      for await (const line of lines(join(dir, files.personal))) {
        const value = JSON.parse(line) as {
          seq: number;
          field: string;
          salt: string;
          value: PersonalValue['value'];
        };
        yield {
          seq: value.seq,
          field: value.field,
          salt: new Uint8Array(Buffer.from(value.salt, 'base64')),
          value: value.value,
        };
      }
    },
  };
  return { source, manifest };
}

/**
 * Reads a live database for `auditLedger`, as of one moment: the checkpoints as first read and
 * the entries and personal values below the size first read. The ledger is append-only, so what
 * is appended (or checkpointed) while verification runs is simply not part of this verification.
 */
export function storeAuditSource(ledger: Ledger): AuditSource {
  const reader = ledger.store.ledger;
  let fixedSize: Promise<number> | undefined;
  const size = () => (fixedSize ??= reader.size());
  let checkpointSizes: number[] | undefined;
  return {
    async *entries() {
      const end = await size();
      for (let start = 0; start < end; start += chunk) {
        yield* await reader.entryBytes(start, Math.min(end, start + chunk));
      }
    },
    async *batches() {
      // Read on this thread while the verification workers hash: since hashing went to bulk SHA-256, this
      // beats workers reading their own chunks (docs/benchmarks.md, "Ledger verification in parallel").
      const end = await size();
      for (let start = 0; start < end; start += verificationChunkSize)
        yield await reader.entryBatch(start, Math.min(end, start + verificationChunkSize));
    },
    async checkpoints() {
      const checkpoints = await cosignedCheckpoints(ledger.store);
      checkpointSizes = checkpoints.map((checkpoint) => checkpoint.size);
      return checkpoints.map((checkpoint) => checkpoint.note);
    },
    async consistencyProofs() {
      // Between the checkpoints verified, not any signed since.
      const sizes = checkpointSizes ?? (await reader.checkpoints()).map((checkpoint) => checkpoint.size);
      const proofs = [];
      for (let i = 1; i < sizes.length; i++) {
        // A proof that cannot be built (a stored node is missing) is reported as an inconsistency.
        const proof = await ledger.log.consistencyProof(reader, sizes[i - 1]!, sizes[i]!).catch(() => []);
        proofs.push({ from: sizes[i - 1]!, to: sizes[i]!, proof });
      }
      return proofs;
    },
    async *personal() {
      const end = await size();
      for (let start = 0; start < end; start += chunk)
        yield* await reader.personal(start, Math.min(end, start + chunk));
    },
  };
}
