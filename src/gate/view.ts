import { severities } from '../supply/findings.js';
import type { CollectedRelease } from './collect.js';
import { evaluationsView } from './evaluation-view.js';
import type { VulnerabilityEvidence } from './evidence.js';
import { findingsView } from './findings-view.js';
import type { LoadedRelease } from './release.js';

/** The key that names one vulnerability in one package, for waivers and exclusion. */
export const vulnerabilityKey = (vulnerability: VulnerabilityEvidence) =>
  `vulnerability:${vulnerability.id}|${vulnerability.package.purl || `${vulnerability.package.name}@${vulnerability.package.version}`}`;

/**
 * The `release` (and `baseline`) a GatePolicy's CEL reads: the release file's own fields, plus what
 * the gate found out — model digests and formats, scan and vulnerability counts, packages and
 * licences. A baseline has only its file's fields: its artifacts are not on this machine.
 */
export function releaseView(
  release: LoadedRelease,
  collected?: CollectedRelease,
  /** Keys of findings a waiver covers for the check being judged: left out of the counts. */
  excluded: ReadonlySet<string> = new Set(),
): Record<string, unknown> {
  const { models, datasets, dependencies, bom, scan, packageLicenses, evidence: _, ...fields } = release.spec;
  const view: Record<string, unknown> = {
    name: release.name,
    ...fields,
    datasets: datasets ?? [],
    models: (models ?? []).map((model) => ({ name: model.name ?? model.path, ...model })),
  };
  if (!collected) return view;
  const { evidence } = collected;
  const count = <T>(items: readonly T[], key: (item: T) => string) =>
    Object.fromEntries(
      [...severities, 'unknown'].map((severity) => [
        severity,
        items.filter((item) => key(item) === severity).length,
      ]),
    );
  const vulnerabilities = evidence.vulnerabilities.filter(
    (vulnerability) => !vulnerability.suppressed && !excluded.has(vulnerabilityKey(vulnerability)),
  );
  const suppressed = evidence.vulnerabilities.filter((vulnerability) => vulnerability.suppressed);
  const highest = [...severities]
    .reverse()
    .find((severity) => evidence.scanFindings.some((f) => f.severity === severity));
  return {
    ...view,
    models: evidence.models.map((model) => ({
      name: model.name,
      path: model.path,
      exists: model.exists,
      sha256: model.sha256 ?? null,
      expectedSha256: model.expectedSha256 ?? null,
      digestMatches: model.expectedSha256 !== undefined && model.expectedSha256 === model.sha256,
      format: model.format ?? null,
      sizeBytes: model.sizeBytes ?? 0,
      framework: model.framework ?? null,
      license: model.license ?? null,
    })),
    scan: {
      files: evidence.models.filter((model) => model.exists).length,
      findings: evidence.scanFindings.length,
      counts: count(evidence.scanFindings, (finding) => finding.severity),
      highest: highest ?? 'none',
    },
    dependencies: {
      packages: evidence.packages.length,
      npm: evidence.packages.filter((pkg) => pkg.ecosystem === 'npm').length,
      pypi: evidence.packages.filter((pkg) => pkg.ecosystem === 'PyPI').length,
      lockfiles: [...new Set(evidence.packages.map((pkg) => pkg.source))],
    },
    licenses: [...new Set(evidence.packages.flatMap((pkg) => (pkg.license ? [pkg.license] : [])))].sort(),
    vulnerabilities: {
      database: evidence.database ?? null,
      count: vulnerabilities.length,
      counts: count(vulnerabilities, (vulnerability) => vulnerability.severity),
      ids: vulnerabilities.map((vulnerability) => vulnerability.id),
      bySource: countBy(vulnerabilities, (vulnerability) => vulnerability.source ?? 'osv'),
      suppressed: suppressed.length,
      suppressedIds: suppressed.map((vulnerability) => vulnerability.id),
      waived: evidence.vulnerabilities.length - suppressed.length - vulnerabilities.length,
    },
    bom: {
      source: collected.bomSource,
      components: Array.isArray(collected.bom.components) ? collected.bom.components.length : 0,
    },
    findings: findingsView(evidence.scannerFindings, evidence.sarifRuns, excluded),
    evaluations: evaluationsView(evidence.evaluations, excluded),
    sboms: collected.sboms.map((sbom) => ({ ...sbom })),
    vex: {
      statements: evidence.vexStatements.length,
      suppressed:
        suppressed.length + evidence.scannerFindings.filter((f) => f.suppressed?.by === 'vex').length,
    },
    inputs: collected.inputs.map(({ kind, path, sha256 }) => ({ kind, path, sha256 })),
  };
}

/** Counts per key, as a Map: a key from an input (an SBOM tool's name) may be `__proto__`. */
function countBy<T>(items: readonly T[], key: (item: T) => string): Map<string, number> {
  const out = new Map<string, number>();
  for (const item of items) out.set(key(item), (out.get(key(item)) ?? 0) + 1);
  return out;
}

/**
 * The `baseline` CEL reads: the baseline release file's fields, plus `findings` and
 * `evaluations` from its own evidence files when they could be read (for regression checks:
 * `release.evaluations.redTeam.attackSuccessRate <= baseline.evaluations.redTeam.attackSuccessRate`).
 */
export function baselineView(baseline: LoadedRelease, collected?: CollectedRelease): Record<string, unknown> {
  const view = releaseView(baseline);
  const evidence = collected?.baseline;
  if (!evidence) return view;
  return {
    ...view,
    findings: findingsView(
      evidence.findings.map((finding) => ({ ...finding, new: false })),
      evidence.sarifRuns,
    ),
    evaluations: evaluationsView(evidence.evaluations),
  };
}
