import { cpSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readExternalEvidence } from '../../src/app/releases/evidence-files.js';
import { runGate } from '../../src/app/releases/run-gate.js';
import { main } from '../../src/cli/main.js';
import { isArbiterError } from '../../src/core/errors.js';
import type { EvaluationResult } from '../../src/gate/evaluation-results.js';
import { evaluationsView } from '../../src/gate/evaluation-view.js';
import { maxInputBytes, maxInputDepth } from '../../src/gate/inputs.js';
import { gateMarkdown } from '../../src/gate/report.js';
import { parseSarif } from '../../src/gate/sarif-input.js';
import { readCycloneDx } from '../../src/supply/sbom-import.js';
import { tempDir } from '../helpers/temp.js';

/**
 * Inputs other tools wrote are untrusted: very large or deeply nested files, names that are
 * JavaScript's reserved keys, and values outside what their format allows must each be either
 * handled or refused with exit 2 naming the file and where, never crash the gate.
 */

const now = new Date('2026-11-23T12:00:00Z');
const release = 'examples/releases/credit-scoring/1.1.0/release.yaml';
const shown = (path: string) => relative(process.cwd(), path);
const none = { sarif: [], sbom: [], vex: [], evaluations: [] };

const sarifLog = (results: unknown[], rules: unknown[] = [], name = 'Scanner') => ({
  version: '2.1.0',
  runs: [{ tool: { driver: { name, rules } }, results }],
});

/** The ArbiterError a call throws, as `code: message`, or `accepted`. */
function refusal(call: () => unknown): string {
  try {
    call();
  } catch (error) {
    if (isArbiterError(error)) return `${error.code}: ${error.message}`;
    throw error;
  }
  return 'accepted';
}

async function cli(args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(['node', 'arbiter', 'gate', ...args], {
    out: (text) => out.push(text),
    err: (text) => err.push(text),
  });
  return { code, stdout: out.join('\n'), stderr: err.join('\n') };
}

/** A policy directory whose one GatePolicy holds `checks` (YAML lines) for credit-scoring. */
function policies(checks: string, extra = ''): string {
  const dir = join(tempDir('arbiter-limits-policies-'), 'policies');
  cpSync('examples/policies/systems.yaml', join(dir, 'systems.yaml'));
  writeFileSync(
    join(dir, 'gate.yaml'),
    `apiVersion: arbiter/v1
kind: GatePolicy
metadata: { name: limits }
spec:
  match: { systems: [credit-scoring] }
  checks:
${checks}
${extra}`,
  );
  return dir;
}

describe('large and deeply nested inputs', () => {
  it('reads a SARIF log with 130,000 results (no spreading into push)', () => {
    const dir = tempDir('arbiter-big-sarif-');
    const file = join(dir, 'big.sarif');
    const results = Array.from({ length: 130_000 }, (_, i) => ({
      ruleId: `rule-${i % 7}`,
      level: 'note',
      message: { text: `finding ${i}` },
      partialFingerprints: { id: String(i) },
    }));
    writeFileSync(file, JSON.stringify(sarifLog(results)));
    const evidence = readExternalEvidence({ ...none, sarif: [file] });
    expect(evidence.findings).toHaveLength(130_000);
    expect(evidence.sarifRuns[0]?.results).toBe(130_000);
  });

  it('summarises an evaluation suite of 200,000 cases (no Math.max(...scores))', () => {
    const cases = Array.from({ length: 200_000 }, (_, i) => ({
      case: `case-${i}`,
      category: i % 2 === 0 ? 'jailbreak' : 'prompt-injection',
      passed: i % 1000 !== 0,
      score: (i % 100) / 100,
    }));
    const result: EvaluationResult = {
      format: 'arbiter.evaluation/v1',
      suite: 'huge',
      kind: 'red-team',
      tool: 'harness',
      cases,
      input: 'huge.json',
    };
    const view = evaluationsView([result]);
    expect(view).toMatchObject({ total: 200_000, failed: 200, maxScore: 0.99, meanScore: 0.495 });
    expect(view.redTeam).toMatchObject({ total: 200_000, failed: 200, attackSuccessRate: 0.001 });
    expect(view.byCategory.get('jailbreak')?.total).toBe(100_000);
  });

  it('flattens CycloneDX components nested 20,000 deep without recursing', () => {
    let components: unknown[] = [];
    for (let depth = 20_000; depth >= 0; depth--)
      components = [{ type: 'library', name: `c${depth}`, ...(components.length > 0 ? { components } : {}) }];
    const sbom = readCycloneDx('deep.cdx.json', { bomFormat: 'CycloneDX', specVersion: '1.6', components });
    expect(sbom.components).toHaveLength(20_001);
    expect(sbom.packages.slice(0, 3).map((pkg) => pkg.name)).toEqual(['c0', 'c1', 'c2']);
    // Order is depth first: a component, then its nested ones, then its next sibling.
    const siblings = readCycloneDx('tree.cdx.json', {
      bomFormat: 'CycloneDX',
      specVersion: '1.6',
      components: [
        { type: 'library', name: 'a', components: [{ type: 'library', name: 'a1' }] },
        { type: 'library', name: 'b' },
      ],
    });
    expect(siblings.packages.map((pkg) => pkg.name)).toEqual(['a', 'a1', 'b']);
  });

  it('refuses a JSON input nested deeper than the limit with exit 2, naming the file and path', async () => {
    const dir = tempDir('arbiter-deep-sbom-');
    const file = join(dir, 'deep.cdx.json');
    // Built as text: 20,000 levels of components, as a hostile SBOM would be.
    const depth = 20_000;
    const open = '{"type":"library","name":"c","components":[';
    writeFileSync(
      file,
      `{"bomFormat":"CycloneDX","specVersion":"1.6","components":[${open.repeat(depth)}{"type":"library","name":"leaf"}${']}'.repeat(depth)}]}`,
    );
    expect(
      refusal(() => readExternalEvidence({ ...none, sbom: [file] })).startsWith(
        `ARB_ERR_INPUT_INVALID: SBOM ${shown(file)}: components[0].components[0].components[0]`,
      ),
    ).toBe(true);
    const dirPolicies = policies('    - { name: ok, assert: "true" }');
    const run = await cli(['--policies', dirPolicies, '--release', release, '--sbom-in', file]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(
      new RegExp(
        `^error: SBOM ${shown(file).replace(/[.]/g, '\\.')}: components\\[0\\]\\.components\\[0\\].*is nested more than ${maxInputDepth} levels deep; deeper input is refused$`,
      ),
    );
    expect(run.stderr).not.toContain('internal error');
  });

  it(`refuses an input file larger than ${maxInputBytes / 1024 / 1024} MiB unread, with exit 2 naming it`, async () => {
    const dir = tempDir('arbiter-huge-');
    const file = join(dir, 'huge.sarif');
    writeFileSync(file, '');
    truncateSync(file, maxInputBytes + 1); // sparse: nothing is written
    const run = await cli([
      '--policies',
      policies('    - { name: ok, assert: "true" }'),
      '--release',
      release,
      '--sarif-in',
      file,
    ]);
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(
      `error: SARIF file ${shown(file)} is ${maxInputBytes + 1} bytes (256.0 MiB); input files larger than 256 MiB are refused`,
    );
  });
});

describe('names that are reserved keys in JavaScript', () => {
  it('counts tools, rules and categories named __proto__ and constructor like any other, in CEL', async () => {
    const dir = tempDir('arbiter-reserved-');
    const sarif = join(dir, 'scan.sarif');
    writeFileSync(
      sarif,
      JSON.stringify({
        version: '2.1.0',
        runs: [
          {
            tool: { driver: { name: '__proto__' } },
            results: [
              { ruleId: '__proto__', level: 'error', message: { text: 'a' } },
              { ruleId: 'constructor', level: 'error', message: { text: 'b' } },
              { ruleId: 'constructor', level: 'error', message: { text: 'c' } },
            ],
          },
          {
            tool: { driver: { name: 'constructor' } },
            results: [{ ruleId: 'toString', level: 'note', message: { text: 'd' } }],
          },
        ],
      }),
    );
    const evaluation = join(dir, 'eval.json');
    writeFileSync(
      evaluation,
      JSON.stringify({
        format: 'arbiter.evaluation/v1',
        suite: 'constructor',
        kind: 'red-team',
        tool: 'harness',
        cases: [
          { case: 'a', category: '__proto__', passed: false, slice: 'constructor' },
          { case: 'b', category: 'hasOwnProperty', passed: true },
        ],
      }),
    );
    const checks = [
      ['proto-rule', "'__proto__' in release.findings.byRule && release.findings.byRule['__proto__'] == 1"],
      ['constructor-rule', "release.findings.byRule['constructor'] == 2"],
      ['no-proto-rule', "!('__proto__' in release.findings.byRule)"],
      [
        'tools',
        "release.findings.byTool['__proto__'].high == 3 && release.findings.byTool['constructor'].low == 1",
      ],
      ['rules', 'size(release.findings.byRule) == 3'],
      ['new-by-tool', "release.findings.new.byTool['__proto__'].count == 3"],
      ['suite', "release.evaluations.suites['constructor'].failed == 1"],
      ['category', "release.evaluations.byCategory['__proto__'].failed == 1"],
      ['red-team-category', "release.evaluations.redTeam.byCategory['hasOwnProperty'].passed == 1"],
      ['slice', "release.evaluations.suites['constructor'].slices['constructor'].total == 1"],
    ]
      .map(([name, assert]) => `    - name: ${name}\n      assert: ${JSON.stringify(assert)}`)
      .join('\n');
    const { run } = await runGate({
      policies: policies(checks),
      release,
      evidence: { sarif: [sarif], evaluations: [evaluation] },
      now,
    });
    const statuses = Object.fromEntries(
      run.checks.filter((c) => c.policy === 'limits').map((c) => [c.check, c.error ?? c.status]),
    );
    expect(statuses).toEqual({
      'proto-rule': 'passed',
      'constructor-rule': 'passed',
      // The check that passed wrongly when __proto__ vanished from a plain object.
      'no-proto-rule': 'failed',
      tools: 'passed',
      rules: 'passed',
      'new-by-tool': 'passed',
      suite: 'passed',
      category: 'passed',
      'red-team-category': 'passed',
      slice: 'passed',
    });
  });
});

describe('malformed inputs are refused, naming the file and the JSON path', () => {
  const result = (extra: Record<string, unknown>) => ({ ruleId: 'r', message: { text: 'm' }, ...extra });

  it('SARIF: security-severity that is not a score from 0 to 10', () => {
    expect(
      refusal(() =>
        parseSarif('scan.sarif', sarifLog([result({ properties: { 'security-severity': 'banana' } })])),
      ),
    ).toBe(
      'ARB_ERR_INPUT_INVALID: scan.sarif: runs[0].results[0].properties["security-severity"] "banana" is not a score from 0 to 10 (a number or a numeric string)',
    );
    expect(
      refusal(() =>
        parseSarif(
          'scan.sarif',
          sarifLog([result({})], [{ id: 'r', properties: { 'security-severity': '11' } }]),
        ),
      ),
    ).toBe(
      'ARB_ERR_INPUT_INVALID: scan.sarif: runs[0].tool.driver.rules[0].properties["security-severity"] "11" is not a score from 0 to 10 (a number or a numeric string)',
    );
    // Numbers and numeric strings, as GitHub code scanning reads them, are fine.
    const ok = parseSarif(
      'scan.sarif',
      sarifLog([
        result({ properties: { 'security-severity': 9.1 } }),
        result({ properties: { 'security-severity': ' 4.0 ' } }),
      ]),
    );
    expect(ok.findings.map((f) => f.severity)).toEqual(['critical', 'medium']);
  });

  it('SARIF: a result without a message (SARIF 2.1.0 requires one)', () => {
    expect(refusal(() => parseSarif('scan.sarif', sarifLog([{ ruleId: 'r' }])))).toBe(
      'ARB_ERR_INPUT_INVALID: scan.sarif: runs[0].results[0].message is missing (SARIF 2.1.0 requires a message on every result)',
    );
    expect(refusal(() => parseSarif('scan.sarif', sarifLog([{ ruleId: 'r', message: {} }])))).toBe(
      'ARB_ERR_INPUT_INVALID: scan.sarif: runs[0].results[0].message has no "text" (nor an "id" of a message string)',
    );
  });

  it('CycloneDX VEX and SBOMs: an analysis.state CycloneDX does not define', async () => {
    const dir = tempDir('arbiter-vex-');
    const vex = join(dir, 'vex.cdx.json');
    const document = {
      bomFormat: 'CycloneDX',
      specVersion: '1.6',
      vulnerabilities: [
        { id: 'CVE-1', analysis: { state: 'not_affected' } },
        { id: 'CVE-2', analysis: { state: 'weird' } },
      ],
    };
    writeFileSync(vex, JSON.stringify(document));
    const states = 'resolved, resolved_with_pedigree, exploitable, in_triage, false_positive, not_affected';
    expect(refusal(() => readExternalEvidence({ ...none, vex: [vex] }))).toBe(
      `ARB_ERR_INPUT_INVALID: ${shown(vex)}: vulnerabilities[1].analysis.state "weird" is not one of ${states}`,
    );
    expect(refusal(() => readCycloneDx('sbom.cdx.json', document))).toBe(
      `ARB_ERR_INPUT_INVALID: sbom.cdx.json: vulnerabilities[1].analysis.state "weird" is not one of ${states}`,
    );
    const run = await cli([
      '--policies',
      policies('    - { name: ok, assert: "true" }'),
      '--release',
      release,
      '--vex',
      vex,
    ]);
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(
      `error: ${shown(vex)}: vulnerabilities[1].analysis.state "weird" is not one of ${states}`,
    );
  });

  it('OpenVEX: an unknown @context version, or a status OpenVEX does not define', () => {
    const dir = tempDir('arbiter-openvex-');
    const write = (name: string, value: unknown) => {
      const file = join(dir, name);
      writeFileSync(file, JSON.stringify(value));
      return file;
    };
    const statement = { vulnerability: { name: 'CVE-1' }, status: 'not_affected' };
    const future = write('future.json', {
      '@context': 'https://openvex.dev/ns/v9.0.0',
      statements: [statement],
    });
    expect(refusal(() => readExternalEvidence({ ...none, vex: [future] }))).toBe(
      `ARB_ERR_INPUT_INVALID: ${shown(future)}: @context "https://openvex.dev/ns/v9.0.0" is not an OpenVEX version Arbiter reads (https://openvex.dev/ns, https://openvex.dev/ns/v0.0.1, https://openvex.dev/ns/v0.2.0)`,
    );
    const status = write('status.json', {
      '@context': 'https://openvex.dev/ns/v0.2.0',
      statements: [{ ...statement, status: 'notaffected' }],
    });
    expect(refusal(() => readExternalEvidence({ ...none, vex: [status] }))).toBe(
      `ARB_ERR_INPUT_INVALID: ${shown(status)}: statements[0].status "notaffected" is not one of not_affected, affected, fixed, under_investigation`,
    );
    for (const context of ['https://openvex.dev/ns', 'https://openvex.dev/ns/v0.0.1'])
      expect(
        readExternalEvidence({
          ...none,
          vex: [write('ok.json', { '@context': context, statements: [statement] })],
        }).vexStatements,
      ).toHaveLength(1);
  });

  it("real tools' outputs are still accepted", () => {
    const fixtures = 'test/fixtures/gate-inputs';
    const evidence = readExternalEvidence({
      sarif: ['codeql.sarif', 'semgrep-1.0.0.sarif', 'semgrep-1.1.0.sarif', 'trivy-image.sarif'].map(
        (name) => `${fixtures}/${name}`,
      ),
      sbom: ['syft.cdx.json', 'trivy.cdx.json'].map((name) => `${fixtures}/${name}`),
      vex: ['vex.cdx.json', 'openvex.json'].map((name) => `${fixtures}/${name}`),
      evaluations: ['evaluation-1.1.0.json', 'redteam-1.0.0.json', 'redteam-1.1.0.json'].map(
        (name) => `${fixtures}/${name}`,
      ),
    });
    expect(evidence.inputs).toHaveLength(11);
  });
});

describe('a CEL check a waiver covers some findings of', () => {
  it('still failing, lists the findings it still counts as well as the waived ones', async () => {
    const dir = join(tempDir('arbiter-partial-waiver-'), 'policies');
    cpSync('examples/policies', dir, { recursive: true });
    writeFileSync(
      join(dir, 'shell-waiver.yaml'),
      `apiVersion: arbiter/v1
kind: Waiver
metadata: { name: shell-reviewed }
spec:
  owner: support-platform (lee@example.com)
  reason: The command is a constant; no input reaches the shell
  expires: 2027-06-30
  scope:
    check: no-new-high-findings
    systems: [support-assistant]
    tools: [semgrep-oss]
    rules: ['*subprocess-shell-true']
`,
    );
    const assistant = 'examples/releases/support-assistant';
    const { run } = await runGate({
      policies: dir,
      release: `${assistant}/1.1.0/release.yaml`,
      baseline: `${assistant}/1.0.0/release.yaml`,
      osv: 'examples/osv',
      now,
    });
    const check = run.checks.find((c) => c.check === 'no-new-high-findings')!;
    expect(check.status).toBe('failed');
    expect(check.message).toBe(
      '1 high or critical scanner findings are new since the baseline (with 2 waived findings left out)',
    );
    expect(check.findings?.map((f) => [f.tool, f.rule?.split('.').pop(), f.failing, f.waivedBy])).toEqual([
      ['codeql', 'py/sql-injection', true, undefined],
      ['trivy', 'CVE-2023-45853', true, 'zlib-minizip-unused'],
      ['semgrep-oss', 'subprocess-shell-true', true, 'shell-reviewed'],
    ]);
    const markdown = gateMarkdown(run);
    const details = markdown.slice(markdown.indexOf('<code>support-assistant-release/no-new-high-findings'));
    expect(details).toMatch(/- codeql py\/sql-injection \(high, new\): app\/db\.py:27: [^\n]*\n/);
    expect(details.indexOf('codeql py/sql-injection')).toBeLessThan(details.indexOf('(waived by'));
    expect(readFileSync(`${assistant}/1.1.0/evidence/codeql.sarif`, 'utf8')).toContain('py/sql-injection');
  });
});
