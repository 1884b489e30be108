import type { JsonObject } from '../core/json.js';
import type { CompiledGatePolicy, PolicyBundle } from '../policy/bundle.js';
import type { GateFinding } from '../policy/evaluate-gate.js';
import { evaluateGate, type GateCheckResult, gatePassed } from '../policy/evaluate-gate.js';
import { anyGlobMatches } from '../policy/glob.js';
import type { CollectedRelease } from './collect.js';
import {
  bomWithDatasetChecks,
  type DatasetCheckEvidence,
  datasetCheckSummaries,
  datasetsWithChecks,
  datasetWaivableFindings,
} from './dataset-checks.js';
import { evaluationCaseKey } from './evaluation-view.js';
import type { SignatureEvidence, SupplyEvidence } from './evidence.js';
import { type EvidenceSummary, evidenceSummary } from './evidence-summary.js';
import { scannerFindingKey } from './findings-view.js';
import type { GateInput } from './inputs.js';
import type { LoadedRelease } from './release.js';
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
    /** The data check results the release's datasets name (docs/data.md). */
    datasets?: ReturnType<typeof datasetCheckSummaries>;
  };
  warnings: string[];
  startedAt: string;
  durationMs: number;
}

/** What judging a release needs, all in memory (app/releases/run-gate.ts reads it from disk). */
export interface ReleaseEvaluationInput {
  bundle: PolicyBundle;
  release: LoadedRelease;
  /** The release file, as shown. */
  releaseFile: string;
  baseline?: { release: LoadedRelease; file: string };
  collected: CollectedRelease;
  /** The model signature verified per GatePolicy that names signers (see `gatePoliciesFor`). */
  signatures: ReadonlyMap<string, SignatureEvidence>;
  /** The `arbiter data check` results the release's datasets name (`datasets[].checks`). */
  dataChecks?: readonly DatasetCheckEvidence[];
  now: Date;
}

/** The gate policies that judge a release of `system`. */
export function gatePoliciesFor(bundle: PolicyBundle, system: string): CompiledGatePolicy[] {
  return bundle.gatePolicies.filter((policy) => anyGlobMatches(policy.match.systems, system));
}

/**
 * Judges a release: the GatePolicies' CEL checks and supply-chain checks over what was collected,
 * then the waivers. Pure; the caller times the run (`durationMs`, which comes last).
 */
export function evaluateRelease(input: ReleaseEvaluationInput): {
  run: Omit<GateRun, 'durationMs'>;
  bom: JsonObject;
} {
  const { bundle, release, baseline, collected, now } = input;
  const dataChecks = input.dataChecks ?? [];
  const system = release.spec.system;
  const policies = gatePoliciesFor(bundle, system);
  // release.datasets[i].checks: the data check results, less the findings a waiver covers.
  const viewOf = (excluded?: ReadonlySet<string>) => {
    const view = releaseView(release, collected, excluded);
    return {
      ...view,
      datasets: datasetsWithChecks(view.datasets as Record<string, unknown>[], dataChecks, excluded),
    };
  };
  const baselineRoot = baseline ? baselineView(baseline.release, collected) : {};
  const evaluation = evaluateGate(bundle, {
    release: viewOf(),
    baseline: baselineRoot,
    now,
  });
  const evidence = { ...collected.evidence, signatures: input.signatures };
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
  return {
    bom: bomWithDatasetChecks(collected.bom, dataChecks),
    run: {
      release: { file: input.releaseFile, name: release.name, system, version: release.spec.version },
      ...(baseline
        ? {
            baseline: {
              file: baseline.file,
              name: baseline.release.name,
              version: baseline.release.spec.version,
            },
          }
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
