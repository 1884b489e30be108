import type { JsonValue } from '../core/json.js';
import { type CompiledGatePolicy, type CompiledSupplyChain, supplyCheckNames } from '../policy/bundle.js';
import type { GateCheckResult, GateFinding } from '../policy/evaluate-gate.js';
import { type Severity, severityRank } from '../supply/findings.js';
import { cycloneLicense, judgeLicense, spdxOf } from '../supply/licenses.js';
import type { SupplyEvidence } from './evidence.js';

/**
 * The built-in supply-chain checks of a GatePolicy (model scan, licences, vulnerabilities and
 * their database's age, pinned digests, model signature), as check results with one finding per
 * thing found, so a report can list them and a waiver can cover them one by one.
 */
export function evaluateSupplyChain(
  policy: CompiledGatePolicy,
  evidence: SupplyEvidence,
  now: Date,
): GateCheckResult[] {
  const config = policy.supplyChain;
  if (!config) return [];
  const result: Result = (check, severity, expected, findings, facts, passedMessage, failedMessage) => {
    const failing = findings.filter((finding) => finding.failing).length;
    return {
      policy: policy.name,
      check,
      severity,
      status: failing > 0 ? 'failed' : 'passed',
      message: failing > 0 ? failedMessage : passedMessage,
      facts,
      expected,
      findings,
    };
  };
  const out: GateCheckResult[] = [];
  if (config.modelScan) out.push(modelScan(config.modelScan, evidence, result));
  if (config.licenses) out.push(licenses(config.licenses, evidence, result));
  if (config.vulnerabilities) out.push(...vulnerabilities(config.vulnerabilities, evidence, now, result));
  if (config.provenance) out.push(...provenance(policy.name, config.provenance, evidence, result));
  return out;
}

type Result = (
  check: string,
  severity: 'error' | 'warning',
  expected: string,
  findings: GateFinding[],
  facts: Record<string, JsonValue>,
  passedMessage: string,
  failedMessage: string,
) => GateCheckResult;

const plural = (n: number, noun: string) =>
  `${n} ${n === 1 ? noun : noun.endsWith('y') ? `${noun.slice(0, -1)}ies` : `${noun}s`}`;

function modelScan(
  config: NonNullable<CompiledSupplyChain['modelScan']>,
  evidence: SupplyEvidence,
  result: Result,
): GateCheckResult {
  const findings = evidence.scanFindings.map((finding) => {
    const file = finding.file.split('!')[0] ?? finding.file;
    // Waivers name model files as the release does; reports point at the file as shown.
    const model = evidence.models.find((candidate) => candidate.file === file);
    return {
      id: model?.path ?? file,
      aliases: [file, finding.file, ...(finding.global ? [finding.global] : [])],
      message: `${finding.file} @${finding.offset}: ${finding.severity} ${finding.rule}: ${finding.message}${finding.global ? ` (${finding.global})` : ''}`,
      failing: severityRank(finding.severity) >= severityRank(config.failOn),
      location: { file, byteOffset: finding.offset },
      tool: 'arbiter',
      rule: finding.rule,
      package: model?.path ?? file,
    };
  });
  const failing = findings.filter((finding) => finding.failing).length;
  const highest = evidence.scanFindings.reduce<Severity | 'none'>(
    (top, finding) =>
      top === 'none' || severityRank(finding.severity) > severityRank(top) ? finding.severity : top,
    'none',
  );
  return result(
    supplyCheckNames.modelScan,
    config.severity,
    `no model-file finding at or above ${config.failOn}`,
    findings,
    { 'scan.files': evidence.models.filter((model) => model.exists).length, 'scan.highest': highest },
    `${plural(evidence.models.length, 'model file')} scanned; nothing at or above ${config.failOn}`,
    `${plural(failing, 'model-file finding')} at or above ${config.failOn} (highest: ${highest})`,
  );
}

function licenses(
  config: NonNullable<CompiledSupplyChain['licenses']>,
  evidence: SupplyEvidence,
  result: Result,
): GateCheckResult {
  const subjects = [
    ...evidence.packages
      .filter((pkg) => config.includeOptional || pkg.scope === 'required')
      .map((pkg) => ({
        id: pkg.name,
        aliases: [pkg.purl, `${pkg.name}@${pkg.version}`],
        what: `${pkg.ecosystem} package ${pkg.name}@${pkg.version}`,
        license: pkg.license,
        file: pkg.source,
        package: pkg.name,
      })),
    ...evidence.models.map((model) => ({
      id: model.path,
      aliases: [model.name],
      what: `model ${model.path}`,
      license: model.license,
      file: evidence.releaseFile,
      package: undefined,
    })),
    ...evidence.datasets.map((dataset) => ({
      id: dataset.name,
      aliases: [],
      what: `dataset ${dataset.name}`,
      license: dataset.license,
      file: evidence.releaseFile,
      package: undefined,
    })),
  ];
  const counts = { allowed: 0, denied: 0, 'not-allowed': 0, unknown: 0 };
  const findings: GateFinding[] = [];
  for (const subject of subjects) {
    const expression = subject.license === undefined ? undefined : spdxOf(cycloneLicense(subject.license));
    const verdict = judgeLicense(expression, config);
    counts[verdict]++;
    if (verdict === 'allowed' || (verdict === 'unknown' && config.unknown === 'ignore')) continue;
    const declared = subject.license === undefined ? 'no licence declared' : `licence "${subject.license}"`;
    const why =
      verdict === 'denied'
        ? 'is denied'
        : verdict === 'not-allowed'
          ? 'is not on the allow list'
          : 'is not a known SPDX licence';
    findings.push({
      id: subject.id,
      aliases: subject.aliases,
      message:
        `${subject.what}: ${declared} ${verdict === 'unknown' && subject.license === undefined ? '' : why}`.trim(),
      failing: verdict !== 'unknown' || config.unknown === 'error',
      location: { file: subject.file },
      tool: 'arbiter',
      rule: `license-${verdict}`,
      ...(subject.package ? { package: subject.package } : {}),
    });
  }
  const failing = findings.filter((finding) => finding.failing).length;
  const lists = [
    config.allow ? `allow: ${config.allow.join(', ')}` : 'any licence not denied',
    config.deny.length > 0 ? `deny: ${config.deny.join(', ')}` : '',
  ].filter(Boolean);
  return result(
    supplyCheckNames.licenses,
    config.severity,
    `every licence satisfies the policy (${lists.join('; ')}${config.unknown === 'error' ? '; unknown licences fail' : ''})`,
    findings,
    {
      'licenses.checked': subjects.length,
      ...Object.fromEntries(Object.entries(counts).map(([k, v]) => [`licenses.${k}`, v])),
    },
    `${plural(subjects.length, 'licence')} checked: ${counts.allowed} allowed${counts.unknown > 0 ? `, ${counts.unknown} unknown (${config.unknown === 'ignore' ? 'ignored' : 'reported'})` : ''}`,
    `${plural(failing, 'licence problem')}: ${counts.denied} denied, ${counts['not-allowed']} not allowed, ${counts.unknown} unknown`,
  );
}

/** A vulnerability whose record gives no severity is treated as high: fail closed, not open. */
const vulnerabilityRank = (severity: string) =>
  severityRank(severity === 'unknown' ? 'high' : (severity as Severity));

function vulnerabilities(
  config: NonNullable<CompiledSupplyChain['vulnerabilities']>,
  evidence: SupplyEvidence,
  now: Date,
  result: Result,
): GateCheckResult[] {
  const database = evidence.database;
  const databaseFindings: GateFinding[] = [];
  if (!database && config.requireDatabase)
    databaseFindings.push({
      id: 'osv-database',
      message: 'no OSV database was given (--osv PATH): vulnerabilities cannot be checked',
      failing: true,
    });
  const ageMs =
    database?.newestModified === undefined ? undefined : now.getTime() - Date.parse(database.newestModified);
  if (
    database &&
    config.maxDatabaseAgeMs !== undefined &&
    (ageMs === undefined || ageMs > config.maxDatabaseAgeMs)
  )
    databaseFindings.push({
      id: 'osv-database',
      message:
        ageMs === undefined
          ? `the OSV database at ${database.source} holds no dated records, so its age is unknown`
          : `the OSV database is ${(ageMs / 86_400_000).toFixed(1)} days old (newest record ${database.newestModified}); at most ${config.maxDatabaseAge} is allowed`,
      failing: true,
    });
  const findings: GateFinding[] = evidence.vulnerabilities.map((vulnerability) => {
    const source = vulnerability.source ?? 'osv';
    const suppressed = vulnerability.suppressed;
    return {
      id: vulnerability.id,
      aliases: [...vulnerability.aliases, vulnerability.package.name, vulnerability.package.purl].filter(
        Boolean,
      ),
      message: `${vulnerability.package.name}@${vulnerability.package.version}: ${vulnerability.id} (${vulnerability.severity}) ${vulnerability.summary}${vulnerability.fixedIn ? `; fixed in ${vulnerability.fixedIn}` : ''}${source === 'osv' ? '' : ` [${source}]`}${suppressed ? ` — ${suppressionText(suppressed)}` : ''}`,
      failing: !suppressed && vulnerabilityRank(vulnerability.severity) >= severityRank(config.failOn),
      location: { file: vulnerability.package.lockfile },
      tool: source,
      rule: vulnerability.id,
      package: vulnerability.package.name,
      ...(suppressed ? { suppressed: { ...suppressed } } : {}),
    };
  });
  const failing = findings.filter((finding) => finding.failing).length;
  const suppressedCount = evidence.vulnerabilities.filter((v) => v.suppressed).length;
  const sources = [...new Set(evidence.vulnerabilities.map((v) => v.source ?? 'osv'))].filter(
    (s) => s !== 'osv',
  );
  const out = [
    result(
      supplyCheckNames.vulnerabilityDatabase,
      config.severity,
      config.maxDatabaseAge
        ? `an OSV database no older than ${config.maxDatabaseAge}`
        : config.requireDatabase
          ? 'an OSV database is given'
          : 'any OSV database given is readable',
      databaseFindings,
      {
        'database.source': database?.source ?? null,
        'database.records': database?.records ?? 0,
        'database.ageDays': ageMs === undefined ? null : Number((ageMs / 86_400_000).toFixed(2)),
      },
      database
        ? `OSV database ${database.source}: ${database.records} records${ageMs === undefined ? '' : `, ${(ageMs / 86_400_000).toFixed(1)} days old`}`
        : 'no OSV database given (not required)',
      databaseFindings.map((finding) => finding.message).join('; '),
    ),
  ];
  if (database || evidence.sboms.length > 0 || sources.length > 0) {
    const matched = [
      database
        ? `${plural(evidence.packages.length, 'package')} matched against ${database.records} OSV records`
        : '',
      evidence.sboms.length > 0 ? `${plural(evidence.sboms.length, 'SBOM')} read` : '',
    ]
      .filter(Boolean)
      .join(', ');
    const others = findings.length - suppressedCount;
    out.push(
      result(
        supplyCheckNames.vulnerabilities,
        config.severity,
        `no known vulnerability at or above ${config.failOn} (VEX "not affected" statements excepted)`,
        findings,
        {
          'vulnerabilities.count': findings.length,
          'vulnerabilities.failing': failing,
          'vulnerabilities.suppressed': suppressedCount,
        },
        `${matched}: ${others === 0 ? 'no known vulnerabilities' : `${plural(others, 'vulnerability')} below ${config.failOn}`}${suppressedCount > 0 ? `; ${suppressedCount} not affected per VEX` : ''}`,
        `${plural(failing, 'known vulnerability')} at or above ${config.failOn}${suppressedCount > 0 ? ` (${suppressedCount} more not affected per VEX)` : ''}`,
      ),
    );
  }
  return out;
}

/** `not_affected per VEX vex.json: vulnerable_code_not_in_execute_path (detail)`. */
export function suppressionText(
  suppressed: NonNullable<SupplyEvidence['vulnerabilities'][number]['suppressed']>,
): string {
  const why = [suppressed.justification, suppressed.detail].filter(Boolean).join(': ');
  return `${suppressed.status} per ${suppressed.by === 'vex' ? 'VEX' : 'the tool'} ${suppressed.file}${why ? `: ${why}` : ''}`;
}

function provenance(
  policyName: string,
  config: NonNullable<CompiledSupplyChain['provenance']>,
  evidence: SupplyEvidence,
  result: Result,
): GateCheckResult[] {
  const out: GateCheckResult[] = [];
  if (config.requireDigests) {
    const findings: GateFinding[] = evidence.models.flatMap((model) => {
      const location = { file: evidence.releaseFile };
      if (!model.exists)
        return [
          {
            id: model.path,
            message: `${model.path}: the model file does not exist`,
            failing: true,
            location,
          },
        ];
      if (!model.expectedSha256)
        return [
          {
            id: model.path,
            message: `${model.path}: no pinned sha256 in the release file`,
            failing: true,
            location,
          },
        ];
      if (model.expectedSha256 !== model.sha256)
        return [
          {
            id: model.path,
            message: `${model.path}: sha256 is ${model.sha256}, the release pins ${model.expectedSha256}`,
            failing: true,
            location,
          },
        ];
      return [];
    });
    if (evidence.models.length === 0)
      findings.push({ id: 'models', message: 'the release lists no model files to verify', failing: true });
    out.push(
      result(
        supplyCheckNames.modelDigests,
        config.severity,
        'every model file exists and matches the sha256 the release pins',
        findings,
        { 'models.count': evidence.models.length },
        evidence.models.length === 1
          ? 'the model file matches its pinned sha256'
          : `all ${evidence.models.length} model files match their pinned sha256`,
        `${plural(findings.length, 'model file')} without a matching pinned digest`,
      ),
    );
  }
  if (config.requireSignature) {
    const signature = evidence.signatures.get(policyName);
    const findings: GateFinding[] = [];
    if (!signature)
      findings.push({
        id: 'model-signature',
        message: 'the release has no model signature (provenance.signature)',
        failing: true,
        location: { file: evidence.releaseFile },
      });
    else if (!signature.verified)
      findings.push({
        id: 'model-signature',
        message: `${signature.file}: ${signature.reason ?? 'the signature does not verify'}`,
        failing: true,
        location: { file: signature.file },
      });
    for (const problem of signature?.problems ?? [])
      findings.push({
        id: 'model-signature',
        message: problem,
        failing: true,
        location: { file: signature?.file ?? evidence.releaseFile },
      });
    const signers = config.signers.map((signer) =>
      'identity' in signer ? `${signer.identity} (${signer.issuer})` : `key ${signer.publicKeyFile}`,
    );
    out.push(
      result(
        supplyCheckNames.modelSignature,
        config.severity,
        `a valid model signature over every model file, by ${signers.join(' or ')}`,
        findings,
        { 'signature.verified': signature?.verified ?? false, 'signature.signer': signature?.signer ?? null },
        `model signature verified; signed by ${signature?.signer ?? 'an accepted signer'}`,
        findings.map((finding) => finding.message).join('; '),
      ),
    );
  }
  return out;
}
