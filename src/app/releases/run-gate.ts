import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { ArbiterError } from '../../core/errors.js';
import type { JsonObject } from '../../core/json.js';
import { type CollectedRelease, collectRelease } from '../../gate/collect.js';
import type { SignatureEvidence } from '../../gate/evidence.js';
import type { EvidencePaths } from '../../gate/external-evidence.js';
import { type LoadedRelease, releasePath } from '../../gate/release.js';
import { evaluateRelease, type GateRun, gatePoliciesFor } from '../../gate/run.js';
import type { CompiledGatePolicy } from '../../policy/bundle.js';
import { ModelSigningError } from '../../supply/model-signing.js';
import { loadPolicyDirectory } from '../policies/load-dir.js';
import { assertValidBom } from '../supply/bom-schema-files.js';
import { verifyModelSignature } from '../supply/model-signing-files.js';
import { arbiterTool } from '../version.js';
import { loadDatasetChecks } from './dataset-check-files.js';
import { shownPath as shown } from './input-files.js';
import { readReleaseFile } from './release-file.js';
import { type ProgressDisplay, type ReadReleaseOptions, readReleaseFiles } from './release-files.js';

/**
 * `arbiter gate` at the edge: loads the policy directory and the release, reads every file the
 * release names, verifies the model signature, and hands it all to the pure evaluation in
 * gate/run.ts, timing it.
 */

export interface GateOptions {
  policies: string;
  release: string;
  baseline?: string;
  osv?: string;
  /** SARIF, SBOM, VEX and evaluation result files besides those the release lists (`--sarif-in` …). */
  evidence?: EvidencePaths;
  now?: Date;
  /** Progress while large model files are read (a terminal's progress line). */
  progress?: ProgressDisplay;
}

/**
 * Reads a release's files and collects its evidence and AI-BOM (what `arbiter gate` judges and
 * `arbiter bom RELEASE` writes).
 */
export async function gatherRelease(
  release: LoadedRelease,
  options: ReadReleaseOptions & { now: Date },
): Promise<CollectedRelease> {
  const files = await readReleaseFiles(release, options);
  return collectRelease(files, {
    now: options.now,
    tool: arbiterTool(),
    serialNumber: `urn:uuid:${randomUUID()}`,
    validateBom: assertValidBom,
  });
}

/**
 * Judges a release against the gate policies. Besides the run and the AI-BOM, returns where each
 * fact of the release file is written, for SARIF annotations (gateSarif).
 */
export async function runGate(
  options: GateOptions,
): Promise<{ run: GateRun; bom: JsonObject; releaseLine: (fact: string) => number }> {
  const started = Date.now();
  const now = options.now ?? new Date();
  const bundle = loadPolicyDirectory(options.policies);
  const { release, lineOf } = readReleaseFile(options.release);
  const baseline = options.baseline ? readReleaseFile(options.baseline).release : undefined;
  const collected = await gatherRelease(release, {
    ...(options.osv ? { osv: options.osv } : {}),
    ...(options.evidence ? { evidence: options.evidence } : {}),
    ...(baseline ? { baseline } : {}),
    ...(options.progress ? { progress: options.progress } : {}),
    now,
  });
  const policies = gatePoliciesFor(bundle, release.spec.system);
  const signatures = await verifySignatures(release, policies);
  const { run, bom } = evaluateRelease({
    bundle,
    release,
    releaseFile: shown(release.file),
    ...(baseline ? { baseline: { release: baseline, file: shown(baseline.file) } } : {}),
    collected,
    signatures,
    dataChecks: loadDatasetChecks(release),
    now,
  });
  return { bom, run: { ...run, durationMs: Date.now() - started }, releaseLine: lineOf };
}

/** Verifies the release's model signature once per policy that has signers (each accepts its own). */
async function verifySignatures(
  release: LoadedRelease,
  policies: readonly CompiledGatePolicy[],
): Promise<Map<string, SignatureEvidence>> {
  const out = new Map<string, SignatureEvidence>();
  const signature = release.spec.provenance?.signature;
  if (!signature) return out;
  const signaturePath = releasePath(release, signature);
  const modelPath = release.spec.provenance?.modelDirectory
    ? releasePath(release, release.spec.provenance.modelDirectory)
    : dirname(signaturePath);
  for (const policy of policies) {
    const provenance = policy.supplyChain?.provenance;
    if (!provenance || provenance.signers.length === 0) continue;
    const file = shown(signaturePath);
    try {
      const signers = provenance.signers.map((signer) =>
        'publicKeyFile' in signer ? { publicKey: readText(signer.publicKeyFile, 'public key') } : signer,
      );
      const trustedRoot = provenance.trustedRoot
        ? (JSON.parse(readText(provenance.trustedRoot, 'trusted root')) as unknown)
        : undefined;
      const result = await verifyModelSignature(signaturePath, modelPath, {
        signers,
        ...(trustedRoot ? { trustedRoot } : {}),
      });
      out.set(policy.name, {
        file,
        verified: result.verified,
        ...(result.signer ? { signer: result.signer } : {}),
        ...(result.reason ? { reason: result.reason } : {}),
        problems: result.problems,
      });
    } catch (error) {
      if (!(error instanceof ModelSigningError)) throw error;
      out.set(policy.name, { file, verified: false, reason: error.message, problems: [] });
    }
  }
  return out;
}

function readText(file: string, what: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    throw new ArbiterError(
      'ARB_ERR_INPUT_NOT_FOUND',
      `${what} ${file} (named by a GatePolicy) cannot be read`,
    );
  }
}
