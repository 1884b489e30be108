import { severities } from '../supply/findings.js';
import type { CollectedRelease } from './collect.js';
import type { LoadedRelease } from './release.js';

/**
 * The `release` (and `baseline`) a GatePolicy's CEL reads: the release file's own fields, plus what
 * the gate found out — model digests and formats, scan and vulnerability counts, packages and
 * licences. A baseline has only its file's fields: its artifacts are not on this machine.
 */
export function releaseView(release: LoadedRelease, collected?: CollectedRelease): Record<string, unknown> {
  const { models, datasets, dependencies, bom, scan, packageLicenses, ...fields } = release.spec;
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
      count: evidence.vulnerabilities.length,
      counts: count(evidence.vulnerabilities, (vulnerability) => vulnerability.severity),
      ids: evidence.vulnerabilities.map((vulnerability) => vulnerability.id),
    },
    bom: {
      source: collected.bomSource,
      components: Array.isArray(collected.bom.components) ? collected.bom.components.length : 0,
    },
  };
}
