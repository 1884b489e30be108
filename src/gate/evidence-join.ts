import type { BomPackage } from '../supply/bom.js';
import type { OsvDatabase } from '../supply/osv.js';
import { parsePurl, purlKey } from '../supply/purl.js';
import type { ImportedSbom, SbomPackage } from '../supply/sbom-import.js';
import { isSuppressingState, type VexStatement, vexStatementFor } from '../supply/vex.js';
import type { ScannerFindingEvidence, Suppression, VulnerabilityEvidence } from './evidence.js';
import { type ScannerFinding, toolKey, vulnerabilityIdsOf } from './sarif-input.js';

/**
 * Joins what several tools said about one release into one set of findings, pure: vulnerabilities
 * from OSV matching and from other tools' SBOMs (the same advisory for the same package counted
 * once), VEX statements suppressing what does not apply (with their justification), and scanner
 * findings marked new or not against the baseline release's.
 */

/** The identity of a package across tools: its purl without qualifiers, else ecosystem/name@version. */
export function packageIdentity(pkg: {
  ecosystem?: string;
  name: string;
  version?: string;
  purl?: string;
}): string {
  const purl = pkg.purl ? parsePurl(pkg.purl) : undefined;
  if (purl) return purlKey(purl);
  return `${(pkg.ecosystem ?? '').toLowerCase()}/${pkg.name.toLowerCase()}@${pkg.version ?? ''}`;
}

/** The purl type an SBOM package has, as an ecosystem name for reports (`deb`, `npm`, `PyPI`). */
const ecosystemOf = (pkg: SbomPackage) =>
  pkg.ecosystem ?? (pkg.purl ? parsePurl(pkg.purl)?.type : undefined) ?? pkg.type;

/**
 * Packages of the SBOMs that OSV can match (npm, PyPI, with a version) and the lockfiles do not
 * already list, as BOM packages whose `source` is the SBOM file.
 */
export function sbomPackagesToMatch(
  sboms: readonly ImportedSbom[],
  lockfilePackages: readonly BomPackage[],
): { pkg: BomPackage; ref?: string }[] {
  const known = new Set(lockfilePackages.map(packageIdentity));
  const out: { pkg: BomPackage; ref?: string }[] = [];
  for (const sbom of sboms)
    for (const entry of sbom.packages) {
      if (!entry.ecosystem || !entry.version) continue;
      const identity = packageIdentity(entry);
      if (known.has(identity)) continue;
      known.add(identity);
      out.push({
        pkg: {
          ecosystem: entry.ecosystem,
          name: entry.name,
          version: entry.version,
          purl: entry.purl ?? `pkg:${entry.ecosystem.toLowerCase()}/${entry.name}@${entry.version}`,
          scope: 'required',
          hashes: [],
          source: sbom.file,
        },
        ...(entry.ref ? { ref: entry.ref } : {}),
      });
    }
  return out;
}

/** OSV matches for packages, each tagged with `source: osv`. */
export function osvVulnerabilities(
  database: OsvDatabase,
  packages: readonly BomPackage[],
): VulnerabilityEvidence[] {
  return packages.flatMap((pkg) =>
    database.match({ ecosystem: pkg.ecosystem, name: pkg.name, version: pkg.version }).map((match) => ({
      id: match.id,
      aliases: match.aliases,
      summary: match.summary,
      severity: match.severity,
      ...(match.fixedIn ? { fixedIn: match.fixedIn } : {}),
      reason: match.reason,
      ...(match.url ? { url: match.url } : {}),
      package: {
        ecosystem: pkg.ecosystem,
        name: pkg.name,
        version: pkg.version,
        purl: pkg.purl,
        lockfile: pkg.source,
      },
      source: 'osv',
    })),
  );
}

/** The vulnerabilities an SBOM's tool reported (Trivy's `--format cyclonedx --scanners vuln`), one per affected package. */
export function sbomVulnerabilities(sbom: ImportedSbom): (VulnerabilityEvidence & { ref?: string })[] {
  const tool = toolKey(sbom.tool.split(' ')[0] ?? sbom.tool);
  return sbom.vulnerabilities.flatMap((vulnerability) => {
    const packages: (SbomPackage | undefined)[] =
      vulnerability.packages.length > 0 ? vulnerability.packages : [undefined];
    return packages.map((pkg) => {
      const analysis = vulnerability.analysis;
      const suppressed: Suppression | undefined =
        analysis && isSuppressingState(analysis.state)
          ? {
              by: 'vex',
              status: analysis.state,
              ...(analysis.justification ? { justification: analysis.justification } : {}),
              ...(analysis.detail ? { detail: analysis.detail } : {}),
              file: sbom.file,
            }
          : undefined;
      return {
        id: vulnerability.id,
        aliases: vulnerability.aliases.filter((alias) => alias !== vulnerability.id),
        summary: vulnerability.summary,
        severity: vulnerability.severity,
        ...(vulnerability.fixedIn ? { fixedIn: vulnerability.fixedIn } : {}),
        reason: `reported by ${sbom.tool} in ${sbom.file}`,
        ...(vulnerability.url ? { url: vulnerability.url } : {}),
        package: {
          ecosystem: pkg ? ecosystemOf(pkg) : 'unknown',
          name: pkg?.name ?? '(a component the SBOM does not list)',
          version: pkg?.version ?? '',
          purl: pkg?.purl ?? '',
          lockfile: sbom.file,
        },
        source: tool,
        ...(pkg?.ref ? { ref: pkg.ref } : {}),
        ...(suppressed ? { suppressed } : {}),
      };
    });
  });
}

/**
 * One entry per advisory and package: a later report of the same vulnerability (by id or alias)
 * in the same package is dropped, keeping the first (OSV matches come first). An embedded
 * suppression on a dropped duplicate carries over.
 */
export function uniqueVulnerabilities<T extends VulnerabilityEvidence>(list: readonly T[]): T[] {
  const seen = new Map<string, T>();
  const out: T[] = [];
  for (const vulnerability of list) {
    const pkg = packageIdentity({ ...vulnerability.package, purl: vulnerability.package.purl || undefined });
    const keys = [vulnerability.id, ...vulnerability.aliases].map((id) => `${id.toUpperCase()}|${pkg}`);
    const first = keys.map((key) => seen.get(key)).find((entry) => entry !== undefined);
    if (first) {
      if (!first.suppressed && vulnerability.suppressed) first.suppressed = vulnerability.suppressed;
      continue;
    }
    const copy = { ...vulnerability };
    for (const key of keys) seen.set(key, copy);
    out.push(copy);
  }
  return out;
}

const vexSuppression = (statement: VexStatement): Suppression => ({
  by: 'vex',
  status: statement.status,
  ...(statement.justification ? { justification: statement.justification } : {}),
  ...(statement.detail ? { detail: statement.detail } : {}),
  file: statement.file,
});

/**
 * Applies VEX statements: the statement that decides a vulnerability (vex.ts) suppresses it when
 * its state says it does not apply, and lifts an embedded suppression when it says `affected`.
 */
export function applyVexToVulnerabilities<T extends VulnerabilityEvidence & { ref?: string }>(
  vulnerabilities: readonly T[],
  statements: readonly VexStatement[],
): T[] {
  if (statements.length === 0) return [...vulnerabilities];
  return vulnerabilities.map((vulnerability) => {
    const statement = vexStatementFor(statements, {
      ids: [vulnerability.id, ...vulnerability.aliases],
      package: {
        name: vulnerability.package.name,
        version: vulnerability.package.version,
        ...(vulnerability.package.purl ? { purl: vulnerability.package.purl } : {}),
        refs: [vulnerability.ref, vulnerability.package.purl].filter((r): r is string => !!r),
      },
    });
    if (!statement) return vulnerability;
    const { suppressed: _, ...rest } = vulnerability;
    return (statement.suppresses ? { ...rest, suppressed: vexSuppression(statement) } : rest) as T;
  });
}

/** The key of a scanner finding across runs: the tool and its fingerprint (the file it came in may move). */
const findingIdentity = (finding: ScannerFinding) => `${finding.tool}\u0000${finding.fingerprint}`;

/**
 * Scanner findings with `new` and `suppressed` worked out. With a baseline, a finding is new when
 * the baseline's findings do not include its fingerprint (for the same tool); without one, when
 * the tool did not mark it `unchanged` or `updated` against its own baseline. A finding suppressed
 * in the tool's output, or by a VEX statement (dependency scanners' CVE findings), does not count.
 */
export function judgeScannerFindings(
  findings: readonly ScannerFinding[],
  options: { baseline?: readonly ScannerFinding[]; vex: readonly VexStatement[] },
): ScannerFindingEvidence[] {
  const before = options.baseline ? new Set(options.baseline.map(findingIdentity)) : undefined;
  return findings.map((finding) => {
    const isNew = before
      ? !before.has(findingIdentity(finding))
      : finding.baselineState !== 'unchanged' && finding.baselineState !== 'updated';
    let suppressed: Suppression | undefined;
    if (finding.suppression)
      suppressed = {
        by: 'tool',
        status: finding.suppression.status ?? 'accepted',
        ...(finding.suppression.justification ? { justification: finding.suppression.justification } : {}),
        detail: `suppressed in the tool's output (${finding.suppression.kind})`,
        file: finding.input,
      };
    const statement = vexStatementFor(options.vex, {
      ids: vulnerabilityIdsOf(finding),
      ...(finding.package
        ? {
            package: {
              name: finding.package.name,
              ...(finding.package.version ? { version: finding.package.version } : {}),
            },
          }
        : {}),
    });
    if (statement?.suppresses) suppressed = vexSuppression(statement);
    return { ...finding, new: isNew, ...(suppressed ? { suppressed } : {}) };
  });
}
