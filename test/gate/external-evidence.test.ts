import { createHash } from 'node:crypto';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runGate } from '../../src/app/releases/run-gate.js';
import { main } from '../../src/cli/main.js';
import { isArbiterError } from '../../src/core/errors.js';
import { parseEvaluationResult } from '../../src/gate/evaluation-results.js';
import { evaluationsView } from '../../src/gate/evaluation-view.js';
import { gateJunit, gateMarkdown, gateSarif } from '../../src/gate/report.js';
import { parseSarif } from '../../src/gate/sarif-input.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { tempDir } from '../helpers/temp.js';

const fixtures = 'test/fixtures/gate-inputs';
const fixture = (name: string) => `${fixtures}/${name}`;
const json = (name: string) => JSON.parse(readFileSync(fixture(name), 'utf8')) as unknown;
const sha256 = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');
const now = new Date('2026-11-23T12:00:00Z');
const shown = (path: string) => relative(process.cwd(), path);

describe('SARIF from scanners', () => {
  it('Trivy: one finding per vulnerable package, severity from security-severity, the package from the message', () => {
    const { findings, runs } = parseSarif('trivy.sarif', json('trivy-image.sarif'));
    expect(runs).toEqual([
      { input: 'trivy.sarif', tool: 'trivy', toolName: 'Trivy', toolVersion: '0.57.1', results: 3 },
    ]);
    expect(
      findings.map((f) => [f.rule, f.level, f.severity, f.severityFrom, f.package, f.location.file]),
    ).toEqual([
      [
        'CVE-2024-6119',
        'error',
        'high',
        'security-severity 7.5',
        { name: 'libssl3', version: '3.0.14-1~deb12u1' },
        'ghcr.io/example/support-assistant',
      ],
      [
        'CVE-2023-45853',
        'error',
        'critical',
        'security-severity 9.8',
        { name: 'zlib1g', version: '1:1.2.13.dfsg-1' },
        'ghcr.io/example/support-assistant',
      ],
      [
        'CVE-2024-56201',
        'warning',
        'medium',
        'security-severity 5.4',
        { name: 'jinja2', version: '3.1.2' },
        'ghcr.io/example/support-assistant',
      ],
    ]);
  });

  it("Semgrep: level from the rule's default, fingerprints from matchBasedId, in-source suppressions kept", () => {
    const { findings } = parseSarif('semgrep.sarif', json('semgrep-1.1.0.sarif'));
    expect(findings.map((f) => [f.tool, f.rule.split('.').pop(), f.level, f.severity, f.location])).toEqual([
      [
        'semgrep-oss',
        'eval-detected',
        'warning',
        'medium',
        { file: 'app/tools/calculator.py', startLine: 18 },
      ],
      [
        'semgrep-oss',
        'logging-error-without-handling',
        'note',
        'low',
        { file: 'app/server.py', startLine: 77 },
      ],
      [
        'semgrep-oss',
        'subprocess-shell-true',
        'error',
        'high',
        { file: 'app/tools/shell.py', startLine: 31 },
      ],
      ['semgrep-oss', 'eval-detected', 'warning', 'medium', { file: 'app/tools/template.py', startLine: 52 }],
    ]);
    expect(findings[3]?.suppression).toEqual({ kind: 'inSource' });
    expect(findings[0]?.suppression).toBeUndefined();
    // The same result in the older run has the same fingerprint: that is how "new" is told.
    const older = parseSarif('old.sarif', json('semgrep-1.0.0.sarif')).findings;
    expect(older[0]?.fingerprint).toBe(findings[0]?.fingerprint);
    expect(new Set(findings.map((f) => f.fingerprint)).size).toBe(4);
  });

  it('CodeQL: the rule lives in the query pack (rule.toolComponent), the location names an artifact', () => {
    const { findings } = parseSarif('codeql.sarif', json('codeql.sarif'));
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({
      tool: 'codeql',
      toolVersion: '2.19.3',
      rule: 'py/sql-injection',
      level: 'error',
      severity: 'high',
      severityFrom: 'security-severity 8.8',
      location: { file: 'app/db.py', startLine: 27 },
      tags: ['security', 'external/cwe/cwe-089'],
    });
  });

  it('rejects what is not SARIF 2.1.0, naming the file and what is wrong', () => {
    const message = (value: unknown) => {
      try {
        parseSarif('scan.sarif', value);
      } catch (error) {
        if (isArbiterError(error)) return `${error.code}: ${error.message}`;
      }
      return 'accepted';
    };
    expect(message({ version: '2.0.0', runs: [] })).toBe(
      'ARB_ERR_INPUT_INVALID: scan.sarif: SARIF version "2.0.0" is not supported (only "2.1.0" is)',
    );
    expect(message({ version: '2.1.0', runs: [{ tool: { driver: {} } }] })).toBe(
      'ARB_ERR_INPUT_INVALID: scan.sarif: runs[0].tool.driver.name is missing',
    );
    expect(
      message({
        version: '2.1.0',
        runs: [{ tool: { driver: { name: 'x' } }, results: [{ level: 'fatal', ruleId: 'r' }] }],
      }),
    ).toBe(
      'ARB_ERR_INPUT_INVALID: scan.sarif: runs[0].results[0].level "fatal" is not one of error, warning, note, none',
    );
  });
});

describe('evaluation and red-team results', () => {
  it('counts per suite, category, slice and severity; the attack success rate is failed / total', () => {
    const result = parseEvaluationResult('red-team.json', json('redteam-1.1.0.json'));
    const view = evaluationsView([result]);
    expect(view.redTeam).toMatchObject({ suites: 1, total: 200, failed: 3, attackSuccessRate: 0.015 });
    expect(view.redTeam.failedBySeverity).toEqual({ info: 0, low: 0, medium: 1, high: 1, critical: 1 });
    const suite = view.suites.get('llm-red-team')!;
    expect(suite.categories.get('system-prompt-leak')).toMatchObject({
      total: 40,
      failed: 1,
      attackSuccessRate: 0.025,
      highestFailedSeverity: 'critical',
    });
    expect(suite.slices.get('lang=de')).toMatchObject({ total: 10, failed: 1 });
    expect(suite.slices.get('lang=en')).toMatchObject({ total: 30, failed: 0 });
    expect(suite.failing.map((f) => f.case)).toEqual([
      'prompt-injection-012',
      'system-prompt-leak-007',
      'harmful-content-031',
    ]);
    // A failed case a waiver covers is left out of every count.
    const waived = evaluationsView([result], new Set(['evaluation:red-team.json#system-prompt-leak-007']));
    expect(waived).toMatchObject({ waived: 1, redTeam: { total: 199, failed: 2 } });
    expect(waived.redTeam.failedBySeverity.critical).toBe(0);
  });

  it('rejects a file that is half right, listing every problem with its path', () => {
    const bad = json('evaluation-1.1.0.json') as Record<string, unknown> & {
      cases: Record<string, unknown>[];
    };
    bad.summary = { total: 5, passed: 3 };
    bad.cases[1]!.passed = 'yes';
    bad.cases[2]!.case = 'faq-001';
    bad.cases.push({ case: 'faq-009', category: 'x', passed: true, extra: 1 });
    try {
      parseEvaluationResult('answers.json', bad);
      expect.unreachable();
    } catch (error) {
      if (!isArbiterError(error)) throw error;
      expect(error.code).toBe('ARB_ERR_INPUT_INVALID');
      expect(error.message.split('\n')).toEqual([
        'answers.json: not a valid arbiter.evaluation/v1 result file:',
        '  answers.json: cases[1].passed: expected boolean (got "yes")',
        '  answers.json: unknown field cases[4].extra',
      ]);
    }
    const fixed = json('evaluation-1.1.0.json') as Record<string, unknown> & {
      cases: Record<string, unknown>[];
    };
    fixed.cases[2]!.case = 'faq-001';
    fixed.summary = { total: 5, passed: 3 };
    expect(() => parseEvaluationResult('answers.json', fixed)).toThrow(
      [
        'answers.json: not a valid arbiter.evaluation/v1 result file:',
        '  answers.json: cases[2].case "faq-001" repeats cases[0].case (case ids are unique in a file)',
        '  answers.json: summary.total is 5, but the cases give 4',
      ].join('\n'),
    );
  });
});

/** A policy directory with one GatePolicy for credit-scoring over the external evidence, and optional waivers. */
function policies(waivers = ''): string {
  const dir = join(tempDir('arbiter-evidence-policies-'), 'policies');
  cpSync('examples/policies/systems.yaml', join(dir, 'systems.yaml'));
  writeFileSync(
    join(dir, 'gate.yaml'),
    `apiVersion: arbiter/v1
kind: GatePolicy
metadata: { name: toolchain }
spec:
  match: { systems: [credit-scoring] }
  checks:
    - name: no-new-high-findings
      assert: release.findings.new.bySeverity.high + release.findings.new.bySeverity.critical == 0
    - name: no-critical-image-findings
      assert: "!('trivy' in release.findings.byTool) || release.findings.byTool.trivy.critical == 0"
    - name: attack-success-rate
      assert: release.evaluations.redTeam.attackSuccessRate < 0.01
    - name: no-critical-red-team-failures
      assert: release.evaluations.redTeam.failedBySeverity.critical == 0
  supplyChain:
    vulnerabilities: { failOn: high }
${waivers}`,
  );
  return dir;
}

const release = 'examples/releases/credit-scoring/1.1.0/release.yaml';
const baseline = 'examples/releases/credit-scoring/1.2.0/release.yaml';

describe('the gate over the whole toolchain', () => {
  it('merges SBOMs, suppresses what VEX says does not apply (with the justification), and pins every input', async () => {
    const { run, bom } = await runGate({
      policies: policies(),
      release,
      osv: 'examples/osv',
      evidence: {
        sbom: [fixture('trivy.cdx.json'), fixture('syft.cdx.json')],
        vex: [fixture('vex.cdx.json'), fixture('openvex.json')],
      },
      now,
    });
    const vulnerabilities = run.checks.find((c) => c.check === 'vulnerabilities')!;
    expect(vulnerabilities.status).toBe('failed');
    expect(vulnerabilities.findings?.map((f) => [f.id, f.tool, f.package, f.failing])).toEqual([
      ['GHSA-9wx4-h78v-vm56', 'osv', 'requests', false],
      ['GHSA-8q59-q68h-6hv4', 'osv', 'pyyaml', true],
      ['CVE-2024-6119', 'trivy', 'libssl3', false],
      ['CVE-2023-45853', 'trivy', 'zlib1g', true],
      ['CVE-2024-56201', 'trivy', 'jinja2', false],
    ]);
    const ssl = vulnerabilities.findings?.find((f) => f.id === 'CVE-2024-6119');
    expect(ssl?.message).toBe(
      `libssl3@3.0.14-1~deb12u1: CVE-2024-6119 (high) Issue summary: Applications performing certificate name checks (e.g., TLS clients checking server certificates) may attempt to read an invalid memory address.; fixed in 3.0.14-1~deb12u2 [trivy] — not_affected per VEX ${fixture('vex.cdx.json')}: code_not_reachable: The assistant makes no TLS client connections that check X.509 names with OpenSSL; outbound calls go through the mesh sidecar.`,
    );
    expect(run.summary.evidence?.suppressed).toEqual([
      {
        kind: 'vulnerability',
        id: 'CVE-2024-6119',
        package: 'libssl3@3.0.14-1~deb12u1',
        tool: 'trivy',
        suppression: {
          by: 'vex',
          status: 'not_affected',
          justification: 'code_not_reachable',
          detail:
            'The assistant makes no TLS client connections that check X.509 names with OpenSSL; outbound calls go through the mesh sidecar.',
          file: fixture('vex.cdx.json'),
        },
      },
      {
        kind: 'vulnerability',
        id: 'CVE-2024-56201',
        package: 'jinja2@3.1.2',
        tool: 'trivy',
        suppression: {
          by: 'vex',
          status: 'not_affected',
          justification: 'vulnerable_code_not_in_execute_path',
          detail: 'Templates ship inside the image; no user input names a template file.',
          file: fixture('openvex.json'),
        },
      },
    ]);
    // pyyaml 5.3.1 is only in Syft's SBOM; OSV matching found it there.
    expect(vulnerabilities.findings?.find((f) => f.package === 'pyyaml')?.location).toEqual({
      file: fixture('syft.cdx.json'),
    });

    const components = bom.components as { name: string; purl?: string }[];
    // jinja2 is in both SBOMs: one component. pyyaml 6.0.1 (lockfile) and 5.3.1 (Syft) are two versions.
    expect(
      components
        .filter((c) => ['libssl3', 'zlib1g', 'jinja2', 'pyyaml', 'fastapi'].includes(c.name))
        .map((c) => c.purl?.split('?')[0])
        .sort(),
    ).toEqual([
      'pkg:deb/debian/libssl3@3.0.14-1~deb12u1',
      'pkg:deb/debian/zlib1g@1.2.13.dfsg-1',
      'pkg:pypi/fastapi@0.115.4',
      'pkg:pypi/jinja2@3.1.2',
      'pkg:pypi/pyyaml@5.3.1',
      'pkg:pypi/pyyaml@6.0.1',
    ]);
    const bomVulnerabilities = (bom.vulnerabilities as { id: string }[]).map((v) => v.id).sort();
    expect(bomVulnerabilities).toEqual(
      [
        'CVE-2023-45853',
        'CVE-2024-56201',
        'CVE-2024-6119',
        'GHSA-8q59-q68h-6hv4',
        'GHSA-9wx4-h78v-vm56',
      ].sort(),
    );

    const inputs = run.summary.inputs!;
    const byPath = Object.fromEntries(inputs.map((input) => [input.path, input]));
    for (const name of ['trivy.cdx.json', 'syft.cdx.json', 'vex.cdx.json', 'openvex.json'])
      expect(byPath[fixture(name)]?.sha256).toBe(sha256(fixture(name)));
    expect(byPath[release]).toEqual({ kind: 'release', path: release, sha256: sha256(release) });
    expect(inputs.map((input) => input.kind)).toEqual([
      'release',
      'model',
      'lockfile',
      'sbom',
      'sbom',
      'vex',
      'vex',
      'osv-database',
    ]);
    const listing = ['PyPI/GHSA-8q59-q68h-6hv4.json', 'PyPI/GHSA-9wx4-h78v-vm56.json']
      .map((file) => `${file}\0${sha256(`examples/osv/${file}`)}\n`)
      .join('');
    expect(byPath['examples/osv']).toMatchObject({
      kind: 'osv-database',
      sha256: createHash('sha256').update(listing).digest('hex'),
      records: 2,
    });
  });

  it('counts findings new since the baseline only, and one waiver scoped by tool, rule and package covers them in any check', async () => {
    const dir = tempDir('arbiter-baseline-');
    // The baseline names its evidence in its release file, as a release in production would.
    const baselineFile = join(dir, 'baseline.yaml');
    cpSync(fixture('semgrep-1.0.0.sarif'), join(dir, 'semgrep.sarif'));
    cpSync(fixture('trivy-image.sarif'), join(dir, 'trivy.sarif'));
    cpSync(fixture('redteam-1.0.0.json'), join(dir, 'red-team.json'));
    writeFileSync(
      baselineFile,
      readFileSync(baseline, 'utf8').replace(
        /\nspec:\n/,
        '\nspec:\n  evidence: { sarif: [semgrep.sarif, trivy.sarif], evaluations: [red-team.json] }\n',
      ),
    );
    const evidence = {
      sarif: [fixture('trivy-image.sarif'), fixture('semgrep-1.1.0.sarif'), fixture('codeql.sarif')],
      evaluations: [fixture('redteam-1.1.0.json')],
      vex: [fixture('vex.cdx.json')],
    };
    const statuses = (checks: { check: string; status: string }[]) =>
      Object.fromEntries(checks.map((c) => [c.check, c.status]));

    const withBaseline = await runGate({
      policies: policies(),
      release,
      baseline: baselineFile,
      evidence,
      now,
    });
    const fresh = withBaseline.run.summary.evidence!.sarif;
    expect(fresh.map((s) => [s.tool, s.findings, s.new, s.suppressed])).toEqual([
      ['trivy', 2, 0, 1],
      ['semgrep-oss', 3, 1, 1],
      ['codeql', 1, 1, 0],
    ]);
    expect(fresh[1]?.newFindings.map((f) => [f.rule.split('.').pop(), f.severity, f.file, f.line])).toEqual([
      ['subprocess-shell-true', 'high', 'app/tools/shell.py', 31],
    ]);
    const newHigh = withBaseline.run.checks.find((c) => c.check === 'no-new-high-findings')!;
    expect(newHigh.status).toBe('failed');
    expect(newHigh.facts).toEqual({
      'release.findings.new.bySeverity.high': 2,
      'release.findings.new.bySeverity.critical': 0,
    });
    expect(
      withBaseline.run.summary.inputs?.filter((i) => i.kind.startsWith('baseline')).map((i) => i.kind),
    ).toEqual(['baseline', 'baseline-sarif', 'baseline-sarif', 'baseline-evaluation']);

    // Without a baseline every finding is new: zlib's critical CVE counts too.
    const alone = await runGate({ policies: policies(), release, evidence, now });
    expect(alone.run.checks.find((c) => c.check === 'no-new-high-findings')?.facts).toEqual({
      'release.findings.new.bySeverity.high': 2,
      'release.findings.new.bySeverity.critical': 1,
    });
    expect(statuses(alone.run.checks)).toMatchObject({
      'no-critical-image-findings': 'failed',
      'attack-success-rate': 'failed',
      'no-critical-red-team-failures': 'failed',
    });

    const waivers = `---
apiVersion: arbiter/v1
kind: Waiver
metadata: { name: zlib-minizip }
spec:
  owner: platform (lee@example.com)
  reason: MiniZip is not linked
  expires: 2027-01-31
  scope: { check: no-critical-image-findings, systems: [credit-scoring], tools: [trivy], rules: [CVE-2023-45853], packages: [zlib1g] }
---
apiVersion: arbiter/v1
kind: Waiver
metadata: { name: prompt-leak-known }
spec:
  owner: support-ml (kim@example.com)
  reason: The leaked prompt holds nothing secret; fixed in the next prompt revision
  expires: 2027-01-31
  scope: { check: no-critical-red-team-failures, systems: [credit-scoring], tools: [promptfoo], rules: [system-prompt-leak] }
---
apiVersion: arbiter/v1
kind: Waiver
metadata: { name: wrong-tool }
spec:
  owner: platform (lee@example.com)
  reason: Names Grype, which did not report this
  expires: 2027-01-31
  scope: { check: no-new-high-findings, systems: [credit-scoring], tools: [grype], rules: [CVE-2023-45853] }
`;
    const waived = await runGate({ policies: policies(waivers), release, evidence, now });
    const image = waived.run.checks.find((c) => c.check === 'no-critical-image-findings')!;
    expect(image.status).toBe('waived');
    expect(image.waiver).toMatchObject({ name: 'zlib-minizip', owner: 'platform (lee@example.com)' });
    expect(image.findings?.map((f) => [f.rule, f.package, f.waivedBy])).toEqual([
      ['CVE-2023-45853', 'zlib1g', 'zlib-minizip'],
    ]);
    const redTeam = waived.run.checks.find((c) => c.check === 'no-critical-red-team-failures')!;
    expect(redTeam.status).toBe('waived');
    expect(redTeam.findings?.map((f) => f.id)).toEqual(['system-prompt-leak-007']);
    // A waiver whose selectors match nothing changes nothing.
    expect(waived.run.checks.find((c) => c.check === 'no-new-high-findings')).toMatchObject({
      status: 'failed',
      facts: { 'release.findings.new.bySeverity.critical': 1 },
    });
    expect(waived.run.checks.find((c) => c.check === 'no-new-high-findings')?.findings).toBeUndefined();

    // Once expired, it stops applying and says so.
    const later = await runGate({
      policies: policies(waivers),
      release,
      evidence,
      now: new Date('2027-02-01T00:00:00Z'),
    });
    expect(later.run.checks.find((c) => c.check === 'no-critical-image-findings')).toMatchObject({
      status: 'failed',
      expiredWaivers: [{ name: 'zlib-minizip', expired: '2027-02-01T00:00:00.000Z' }],
    });
  });

  it('reports by source in Markdown, keeps SARIF and JUnit well-formed', async () => {
    const { run } = await runGate({
      policies: policies(),
      release,
      osv: 'examples/osv',
      evidence: {
        sarif: [fixture('semgrep-1.1.0.sarif')],
        evaluations: [fixture('redteam-1.1.0.json')],
        vex: [fixture('openvex.json')],
      },
      now,
    });
    const markdown = gateMarkdown(run);
    expect(markdown).toContain(
      `**Semgrep OSS 1.95.0** (\`${fixture('semgrep-1.1.0.sarif')}\`): 3 findings (1 high, 1 medium, 1 low) · **3 new (no baseline)** · 1 suppressed`,
    );
    expect(markdown).toContain(
      '| `llm-red-team` (promptfoo) | red-team | 200 | 3 | 98.5% | 1.5% | harmful-content 1/40 (medium), prompt-injection 1/40 (high), system-prompt-leak 1/40 (critical) |',
    );
    expect(markdown).toContain(
      `| sarif | \`${fixture('semgrep-1.1.0.sarif')}\` | \`${sha256(fixture('semgrep-1.1.0.sarif')).slice(0, 12)}…\` |`,
    );
    const sarif = gateSarif(run);
    expect(sarif.version).toBe('2.1.0');
    const results = sarif.runs[0]!.results!;
    // requests' medium vulnerability is below failOn: high, so only the three CEL checks fail.
    expect(results.map((r) => r.ruleId).sort()).toEqual([
      'toolchain/attack-success-rate',
      'toolchain/no-critical-red-team-failures',
      'toolchain/no-new-high-findings',
    ]);
    const junit = gateJunit(run);
    expect(junit).toContain('<testcase name="attack-success-rate" classname="arbiter.gate.toolchain">');
    expect(junit.match(/<failure /g)).toHaveLength(3);
  });
});

describe('arbiter gate --sarif-in --sbom-in --vex --evaluations', () => {
  const cli = async (args: string[]) => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await main(['node', 'arbiter', 'gate', ...args], {
      out: (text) => out.push(text),
      err: (text) => err.push(text),
    });
    return { code, stdout: out.join('\n'), stderr: err.join('\n') };
  };

  it('exits 0 when the evidence passes, 1 when it fails, 2 for bad input naming the file', async () => {
    const dir = policies();
    const clean = tempDir('arbiter-clean-');
    const passing = json('redteam-1.0.0.json') as {
      cases: { passed: boolean; category: string }[];
      summary: unknown;
    };
    for (const entry of passing.cases) entry.passed = true;
    passing.summary = { total: 200, passed: 200, failed: 0, attackSuccessRate: 0 };
    writeFileSync(join(clean, 'red-team.json'), JSON.stringify(passing));
    const ok = await cli([
      '--policies',
      dir,
      '--release',
      release,
      '--osv',
      'examples/osv',
      '--evaluations',
      join(clean, 'red-team.json'),
      '--sarif-in',
      fixture('semgrep-1.0.0.sarif'),
    ]);
    // requests' medium vulnerability is below failOn: high.
    expect(ok.stderr).toBe('');
    expect(ok.stdout).toContain('gate: passed');
    expect(ok.stdout).toContain(
      `  sarif  semgrep-oss (${fixture('semgrep-1.0.0.sarif')}): 2 findings, 2 new`,
    );
    expect(ok.code).toBe(0);

    const failing = await cli([
      '--policies',
      dir,
      '--release',
      release,
      '--osv',
      'examples/osv',
      '--evaluations',
      fixture('redteam-1.1.0.json'),
      '--json',
    ]);
    expect(failing.code).toBe(1);
    const run = JSON.parse(failing.stdout);
    expect(run.summary.inputs).toContainEqual({
      kind: 'evaluation',
      path: fixture('redteam-1.1.0.json'),
      sha256: sha256(fixture('redteam-1.1.0.json')),
    });

    const badSarif = join(clean, 'bad.sarif');
    writeFileSync(badSarif, JSON.stringify({ version: '2.1.0', runs: {} }));
    const bad = await cli(['--policies', dir, '--release', release, '--sarif-in', badSarif]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe(`error: ${shown(badSarif)}: "runs" must be an array`);

    const notJson = join(clean, 'sbom.json');
    writeFileSync(notJson, '{"bomFormat": "CycloneDX",');
    const broken = await cli(['--policies', dir, '--release', release, '--sbom-in', notJson]);
    expect(broken.code).toBe(2);
    expect(broken.stderr.startsWith(`error: SBOM ${shown(notJson)} is not JSON (`)).toBe(true);

    const missing = await cli(['--policies', dir, '--release', release, '--vex', join(clean, 'nope.json')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toBe(`error: VEX document ${shown(join(clean, 'nope.json'))} cannot be read`);
  });

  describe('--record', () => {
    let server: TestServer;
    beforeAll(async () => {
      server = await startTestServer();
    });
    afterAll(async () => {
      await server?.close();
    });

    it('the gate.run ledger entry lists every input by SHA-256', async () => {
      process.env.ARBITER_TOKEN = server.tokens.creditScoring!;
      const recorded = await cli([
        '--policies',
        policies(),
        '--release',
        release,
        '--sarif-in',
        fixture('trivy-image.sarif'),
        '--vex',
        fixture('vex.cdx.json'),
        '--evaluations',
        fixture('redteam-1.0.0.json'),
        '--record',
        server.url,
        '--json',
      ]).finally(() => {
        delete process.env.ARBITER_TOKEN;
      });
      expect(recorded.stderr).toBe('');
      const run = JSON.parse(recorded.stdout);
      const [entry] = await server.arbiter.store.ledger.entries(
        run.recorded.ledgerIndex,
        run.recorded.ledgerIndex + 1,
      );
      const data = JSON.parse(Buffer.from(entry!.bytes).toString('utf8')).data;
      expect(data.inputs).toEqual([
        { kind: 'release', path: release, sha256: sha256(release) },
        expect.objectContaining({ kind: 'model' }),
        expect.objectContaining({ kind: 'lockfile' }),
        { kind: 'sarif', path: fixture('trivy-image.sarif'), sha256: sha256(fixture('trivy-image.sarif')) },
        { kind: 'vex', path: fixture('vex.cdx.json'), sha256: sha256(fixture('vex.cdx.json')) },
        {
          kind: 'evaluation',
          path: fixture('redteam-1.0.0.json'),
          sha256: sha256(fixture('redteam-1.0.0.json')),
        },
      ]);
      const stored = await server.call(server.tokens.erin, 'GET', `/v1/gate-runs/${run.recorded.id}`);
      expect(stored.body.report.summary.evidence.suppressed[0]).toMatchObject({
        id: 'CVE-2024-6119',
        suppression: { justification: 'code_not_reachable' },
      });
    });
  });
});
