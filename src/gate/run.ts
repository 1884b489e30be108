import { readFileSync } from 'node:fs';
import { dirname, relative } from 'node:path';
import { verifyModelSignature } from '../app/supply/model-signing-files.js';
import { ArbiterError } from '../core/errors.js';
import type { JsonObject } from '../core/json.js';
import type { CompiledGatePolicy, PolicyBundle } from '../policy/bundle.js';
import type { GateFinding } from '../policy/evaluate-gate.js';
import { evaluateGate, type GateCheckResult, gatePassed } from '../policy/evaluate-gate.js';
import { anyGlobMatches } from '../policy/glob.js';
import { loadPolicyDirectory } from '../policy/load-dir.js';
import { ModelSigningError } from '../supply/model-signing.js';
import { type CollectedRelease, collectRelease, releasePath } from './collect.js';
import {
  bomWithDatasetChecks,
  datasetCheckSummaries,
  datasetsWithChecks,
  datasetWaivableFindings,
} from './dataset-checks.js';
import { loadDatasetChecks } from './dataset-checks-load.js';
import { evaluationCaseKey } from './evaluation-view.js';
import type { SignatureEvidence, SupplyEvidence } from './evidence.js';
import { type EvidenceSummary, evidenceSummary } from './evidence-summary.js';
import type { EvidencePaths } from './external-evidence.js';
import { scannerFindingKey } from './findings-view.js';
import type { GateInput } from './inputs.js';
import { type LoadedRelease, loadRelease } from './release.js';
import { evaluateSupplyChain } from './supply-checks.js';
import { baselineView, releaseView, vulnerabilityKey } from './view.js';
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
    /** Every file the decision rests on, with its SHA-256 (docs/gate.md#what-the-decision-rests-on). */
    inputs?: GateInput[];
    /** Other tools' evidence by source: SARIF runs, SBOMs, VEX, evaluation suites, what is new. */
    evidence?: EvidenceSummary;
    /** Data sets checked by `arbiter data check`: digests and counts (docs/data.md). */
    datasets?: ReturnType<typeof datasetCheckSummaries>;
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
  /** SARIF, SBOM, VEX and evaluation result files besides those the release lists (`--sarif-in` …). */
  evidence?: EvidencePaths;
  now?: Date;
}

const shown = (path: string) => relative(process.cwd(), path) || '.';

export async function runGate(options: GateOptions): Promise<{ run: GateRun; bom: JsonObject }> {
  const started = Date.now();
  const now = options.now ?? new Date();
  const bundle = loadPolicyDirectory(options.policies);
  const release = loadRelease(options.release);
  const baseline = options.baseline ? loadRelease(options.baseline) : undefined;
  const collected = await collectRelease(release, {
    ...(options.osv ? { osv: options.osv } : {}),
    ...(options.evidence ? { evidence: options.evidence } : {}),
    ...(baseline ? { baseline } : {}),
    now,
  });
  const system = release.spec.system;
  const policies = bundle.gatePolicies.filter((policy) => anyGlobMatches(policy.match.systems, system));
  const signatures = await verifySignatures(release, policies);
  const dataChecks = loadDatasetChecks(release);
  // release.datasets[i].checks: the data check results, less the findings a waiver covers.
  const viewOf = (excluded?: ReadonlySet<string>) => {
    const view = releaseView(release, collected, excluded);
    return {
      ...view,
      datasets: datasetsWithChecks(view.datasets as Record<string, unknown>[], dataChecks, excluded),
    };
  };

  const baselineRoot = baseline ? baselineView(baseline, collected) : {};
  const evaluation = evaluateGate(bundle, {
    release: viewOf(),
    baseline: baselineRoot,
    now,
  });
  const evidence = { ...collected.evidence, signatures };
  const checks = [
    ...evaluation.checks,
    ...policies.flatMap((policy) => evaluateSupplyChain(policy, evidence, now)),
    ...(policies.length === 0 ? [noPolicyCheck(bundle, system)] : []),
  ];
  const judged = applyWaivers(checks, bundle.waivers, {
    system,
    now,
    waivable: [...waivableFindings(collected.evidence), ...datasetWaivableFindings(dataChecks)],
    // A CEL check a waiver covers findings of is judged again without them.
    reevaluate: (check, waived) => {
      const excluded = new Set(waived.map((finding) => (finding as WaivableFinding).key));
      const again = evaluateGate(bundle, {
        release: viewOf(excluded),
        baseline: baselineRoot,
        now,
      });
      return again.checks.find((c) => c.policy === check.policy && c.check === check.check) ?? check;
    },
  });
  const bom = bomWithDatasetChecks(collected.bom, dataChecks);
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
      summary: {
        ...summarise(collected),
        ...(dataChecks.length > 0 ? { datasets: datasetCheckSummaries(dataChecks) } : {}),
      },
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

/** A finding a CEL check reads, with the key its view leaves it out by when a waiver covers it. */
interface WaivableFinding extends GateFinding {
  key: string;
}

/**
 * What CEL checks over `release.findings`, `release.vulnerabilities` and `release.evaluations`
 * count, as findings a waiver's selectors can name: scanner findings (tool, rule id, package),
 * vulnerabilities (reporting tool, advisory id, package) and failed evaluation cases (the
 * harness, the category; `findings` names the case id).
 */
function waivableFindings(evidence: Omit<SupplyEvidence, 'signatures'>): WaivableFinding[] {
  const scanner = evidence.scannerFindings
    .filter((finding) => !finding.suppressed)
    .map((finding) => ({
      key: scannerFindingKey(finding),
      id: finding.fingerprint,
      aliases: [finding.rule, finding.location.file],
      message: `${finding.tool} ${finding.rule} (${finding.severity}${finding.new ? ', new' : ''}): ${finding.location.file}${finding.location.startLine ? `:${finding.location.startLine}` : ''}: ${finding.message.split('\n')[0]}`,
      failing: true,
      location: {
        file: finding.location.file,
        ...(finding.location.startLine ? { line: finding.location.startLine } : {}),
      },
      tool: finding.tool,
      rule: finding.rule,
      ...(finding.package ? { package: finding.package.name } : {}),
    }));
  const vulnerabilities = evidence.vulnerabilities
    .filter((vulnerability) => !vulnerability.suppressed)
    .map((vulnerability) => ({
      key: vulnerabilityKey(vulnerability),
      id: vulnerability.id,
      aliases: [...vulnerability.aliases, vulnerability.package.purl].filter(Boolean),
      message: `${vulnerability.package.name}@${vulnerability.package.version}: ${vulnerability.id} (${vulnerability.severity}) ${vulnerability.summary}`,
      failing: true,
      location: { file: vulnerability.package.lockfile },
      tool: vulnerability.source ?? 'osv',
      rule: vulnerability.id,
      package: vulnerability.package.name,
    }));
  const cases = evidence.evaluations.flatMap((result) =>
    result.cases
      .filter((entry) => !entry.passed)
      .map((entry) => ({
        key: evaluationCaseKey(result.input, entry.case),
        id: entry.case,
        aliases: [`${result.suite}/${entry.case}`],
        message: `${result.suite} ${entry.case} (${entry.category}${entry.severity ? `, ${entry.severity}` : ''}) failed${entry.message ? `: ${entry.message}` : ''}`,
        failing: true,
        location: { file: result.input },
        tool: result.tool,
        rule: entry.category,
      })),
  );
  return [...scanner, ...vulnerabilities, ...cases];
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
    inputs: collected.inputs,
    evidence: evidenceSummary(collected),
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
