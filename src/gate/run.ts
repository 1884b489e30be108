import { readFileSync } from 'node:fs';
import { dirname, relative } from 'node:path';
import { ArbiterError } from '../core/errors.js';
import type { JsonObject } from '../core/json.js';
import type { CompiledGatePolicy, PolicyBundle } from '../policy/bundle.js';
import { evaluateGate, type GateCheckResult, gatePassed } from '../policy/evaluate-gate.js';
import { anyGlobMatches } from '../policy/glob.js';
import { loadPolicyDirectory } from '../policy/load-dir.js';
import { ModelSigningError, verifyModelSignature } from '../supply/model-signing.js';
import { type CollectedRelease, collectRelease, releasePath } from './collect.js';
import type { SignatureEvidence } from './evidence.js';
import { type LoadedRelease, loadRelease } from './release.js';
import { evaluateSupplyChain } from './supply-checks.js';
import { releaseView } from './view.js';
import { applyWaivers } from './waivers.js';

/** One evaluation of a release against the gate policies: what `arbiter gate` prints and records. */
export interface GateRun {
  release: { file: string; name: string; system: string; version: string };
  baseline?: { file: string; name: string; version: string };
  bundle: string;
  passed: boolean;
  checks: GateCheckResult[];
  summary: {
    models: { path: string; sha256?: string; format?: string; sizeBytes?: number }[];
    packages: number;
    vulnerabilities: number;
    scanFindings: number;
    database?: { source: string; records: number; newestModified?: string; ageDays?: number };
    bom: { source: string; serialNumber?: string; components: number };
  };
  warnings: string[];
  startedAt: string;
  durationMs: number;
}

export interface GateOptions {
  policies: string;
  release: string;
  baseline?: string;
  osv?: string;
  now?: Date;
}

const shown = (path: string) => relative(process.cwd(), path) || '.';

export async function runGate(options: GateOptions): Promise<{ run: GateRun; bom: JsonObject }> {
  const started = Date.now();
  const now = options.now ?? new Date();
  const bundle = loadPolicyDirectory(options.policies);
  const release = loadRelease(options.release);
  const baseline = options.baseline ? loadRelease(options.baseline) : undefined;
  const collected = await collectRelease(release, { ...(options.osv ? { osv: options.osv } : {}), now });
  const system = release.spec.system;
  const policies = bundle.gatePolicies.filter((policy) => anyGlobMatches(policy.match.systems, system));
  const signatures = await verifySignatures(release, policies);

  const evaluation = evaluateGate(bundle, {
    release: releaseView(release, collected),
    baseline: baseline ? releaseView(baseline) : {},
    now,
  });
  const evidence = { ...collected.evidence, signatures };
  const checks = [
    ...evaluation.checks,
    ...policies.flatMap((policy) => evaluateSupplyChain(policy, evidence, now)),
    ...(policies.length === 0 ? [noPolicyCheck(bundle, system)] : []),
  ];
  const judged = applyWaivers(checks, bundle.waivers, system, now);
  const bom = collected.bom;
  return {
    bom,
    run: {
      release: { file: shown(release.file), name: release.name, system, version: release.spec.version },
      ...(baseline
        ? { baseline: { file: shown(baseline.file), name: baseline.name, version: baseline.spec.version } }
        : {}),
      bundle: bundle.digest,
      passed: gatePassed(judged),
      checks: judged,
      summary: summarise(collected),
      warnings: collected.warnings,
      startedAt: now.toISOString(),
      durationMs: Date.now() - started,
    },
  };
}

/** With nothing to check a release against, the gate fails: passing by default would be allow-by-default. */
function noPolicyCheck(bundle: PolicyBundle, system: string): GateCheckResult {
  return {
    policy: '(none)',
    check: 'gate-policy',
    severity: 'error',
    status: 'failed',
    message: `no GatePolicy matches system "${system}" (${bundle.gatePolicies.length} gate policies in the bundle)`,
    facts: { 'release.system': system },
    expected: 'at least one GatePolicy whose match.systems covers the release',
  };
}

function summarise(collected: CollectedRelease): GateRun['summary'] {
  const { evidence, bom } = collected;
  return {
    models: evidence.models.map((model) => ({
      path: model.path,
      ...(model.sha256 ? { sha256: model.sha256 } : {}),
      ...(model.format ? { format: model.format } : {}),
      ...(model.sizeBytes !== undefined ? { sizeBytes: model.sizeBytes } : {}),
    })),
    packages: evidence.packages.length,
    vulnerabilities: evidence.vulnerabilities.length,
    scanFindings: evidence.scanFindings.length,
    ...(evidence.database ? { database: evidence.database } : {}),
    bom: {
      source: collected.bomSource,
      ...(typeof bom.serialNumber === 'string' ? { serialNumber: bom.serialNumber } : {}),
      components: Array.isArray(bom.components) ? bom.components.length : 0,
    },
  };
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
