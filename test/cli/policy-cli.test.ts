import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { arbiter } from '../helpers/cli.js';

const examples = 'examples/policies';
const work = mkdtempSync(join(tmpdir(), 'arbiter-cli-'));
const write = (name: string, text: string) => {
  const path = join(work, name);
  writeFileSync(path, text);
  return path;
};
const deployRequest = (lines: number, confidence = 0.97) =>
  write(
    `deploy-${lines}-${confidence}.json`,
    JSON.stringify({
      action: 'deploy',
      resource: { type: 'service', id: 'payments', environment: 'prod' },
      change: { linesChanged: lines },
      rationale: 'Roll out the fix for the checkout timeout',
      confidence,
    }),
  );
const tuesday = '2026-11-17T10:00:00Z';

describe('arbiter --help', () => {
  it('prints usage and the exit codes, exit 0', () => {
    const result = arbiter(['--help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Usage: arbiter');
    expect(result.stdout).toContain('Exit codes: 0 ok, 1 a verdict or check failed, 2 usage or input error.');
  });

  it.each([['policy'], ['policy', 'eval'], ['policy', 'lint'], ['policy', 'test']])(
    'arbiter %s --help works',
    (...command) => {
      const result = arbiter([...command, '--help']);
      expect(result.code).toBe(0);
      expect(result.stdout).toContain(`Usage: arbiter ${command.join(' ')}`);
    },
  );

  it('an unknown command or option is a usage error, exit 2', () => {
    expect(arbiter(['frobnicate']).code).toBe(2);
    const result = arbiter(['policy', 'lint', examples, '--bogus']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("unknown option '--bogus'");
  });

  it('a missing required option is a usage error, exit 2', () => {
    const result = arbiter(['policy', 'eval', '--policies', examples]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("required option '--input <file>' not specified");
  });
});

describe('arbiter policy lint', () => {
  it('prints counts and the digest for a valid directory, exit 0', () => {
    const result = arbiter(['policy', 'lint', examples]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^ok: 12 policies, 9 systems, digest sha256:[0-9a-f]{64}\n$/);
  });

  it('prints every problem as file:line:col and exits 2', () => {
    const dir = mkdtempSync(join(work, 'bad-'));
    writeFileSync(
      join(dir, 'a.yaml'),
      'apiVersion: arbiter/v1\nkind: ActionPolicy\nmetadata: {name: p}\nspec:\n  rules:\n    - name: r\n      when: reqest.x\n      effect: deny\n',
    );
    writeFileSync(join(dir, 'b.yaml'), 'apiVersion: arbiter/v1\nkind: Sytem\n');
    const result = arbiter(['policy', 'lint', dir]);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain(`${join(dir, 'a.yaml')}:7:13: CEL: Unknown variable: reqest`);
    expect(result.stderr).toContain(`${join(dir, 'b.yaml')}:2:7: kind must be one of`);
  });

  it('a missing directory is an input error, exit 2', () => {
    const result = arbiter(['policy', 'lint', join(work, 'nope')]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('does not exist');
  });
});

describe('arbiter policy eval', () => {
  it('allow exits 0 and explains', () => {
    const result = arbiter([
      'policy',
      'eval',
      '--policies',
      examples,
      '--input',
      deployRequest(40),
      '--actor',
      'deploy-bot',
      '--now',
      tuesday,
    ]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('effect: allow');
    expect(result.stdout).toContain('prod-deploys/small-confident-change');
  });

  it('require_approval exits 1; --json has the documented shape', () => {
    const result = arbiter([
      'policy',
      'eval',
      '--policies',
      examples,
      '--input',
      deployRequest(812, 0.62),
      '--actor',
      'deploy-bot',
      '--now',
      tuesday,
      '--json',
    ]);
    expect(result.code).toBe(1);
    const verdict = JSON.parse(result.stdout);
    expect(Object.keys(verdict)).toEqual(
      expect.arrayContaining(['effect', 'reasons', 'notFired', 'approvals', 'shadow', 'bundle']),
    );
    expect(verdict.effect).toBe('require_approval');
    expect(verdict.reasons[0]).toMatchObject({
      policy: 'prod-deploys',
      rule: 'needs-sre',
      effect: 'require_approval',
      message: 'a change of 812 lines needs two approvers',
      facts: { 'request.change.linesChanged': 812, 'request.confidence': 0.62 },
    });
    expect(verdict.approvals).toMatchObject([{ count: 2, from: ['group:sre', 'owner'], ttl: '1h' }]);
    expect(verdict.bundle).toMatch(/^sha256:/);
  });

  it('deny exits 1', () => {
    const friday = '2026-11-20T16:00:00Z';
    const result = arbiter([
      'policy',
      'eval',
      '--policies',
      examples,
      '--input',
      deployRequest(40),
      '--actor',
      'deploy-bot',
      '--now',
      friday,
    ]);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('effect: deny');
  });

  it('accepts an actor file and reads the request from stdin', () => {
    const actor = write('alice.json', JSON.stringify({ id: 'alice', kind: 'human', groups: ['sre'] }));
    const request = readFileSync(deployRequest(40), 'utf8');
    const result = arbiter(
      [
        'policy',
        'eval',
        '--policies',
        examples,
        '--input',
        '-',
        '--actor',
        actor,
        '--now',
        tuesday,
        '--json',
      ],
      { input: request },
    );
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout).effect).toBe('allow');
  });

  it.each([
    [
      'malformed JSON',
      () => write('broken.json', '{"action": "deploy",\n  "resource": }'),
      /broken\.json:2:\d+: not valid JSON/,
    ],
    [
      'a request without a resource',
      () => write('nores.json', '{"action": "deploy"}'),
      /not an action request: \/resource/,
    ],
    ['a missing file', () => join(work, 'missing.json'), /no such file/],
  ])('%s is an input error, exit 2', (_name, file, message) => {
    const result = arbiter(['policy', 'eval', '--policies', examples, '--input', file()]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
  });

  it('an unknown actor and a bad --now are usage errors, exit 2', () => {
    expect(
      arbiter(['policy', 'eval', '--policies', examples, '--input', deployRequest(1), '--actor', 'ghost-bot'])
        .stderr,
    ).toContain('neither a file nor a System');
    expect(
      arbiter(['policy', 'eval', '--policies', examples, '--input', deployRequest(1), '--now', 'yesterday'])
        .code,
    ).toBe(2);
  });
});

describe('arbiter policy test', () => {
  it('runs the example suite: every case passes, exit 0, JUnit written', () => {
    const junit = join(work, 'policy-junit.xml');
    const result = arbiter(['policy', 'test', examples, '--junit', junit]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/\n(\d+) passed, 0 failed, \1 cases in 6 suites\n$/);
    const xml = readFileSync(junit, 'utf8');
    expect(xml).toContain('<testsuites tests=');
    expect(xml).toContain('failures="0"');
  });

  it('a failing case prints FAIL with file:line and exits 1', () => {
    const dir = mkdtempSync(join(work, 'failing-'));
    writeFileSync(
      join(dir, 'p.yaml'),
      'apiVersion: arbiter/v1\nkind: ActionPolicy\nmetadata: {name: p}\nspec:\n  rules:\n    - name: r\n      when: "true"\n      effect: deny\n',
    );
    writeFileSync(
      join(dir, 'p.test.yaml'),
      'apiVersion: arbiter/v1\nkind: PolicyTest\nmetadata: {name: t}\nspec:\n  cases:\n    - name: expects allow\n      input: {action: a, resource: {type: t, id: i}}\n      expect: {effect: allow}\n',
    );
    const junit = join(dir, 'junit.xml');
    const result = arbiter(['policy', 'test', dir, '--junit', junit]);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('FAIL  t › expects allow');
    expect(result.stdout).toContain(`${join(dir, 'p.test.yaml')}:6: expected effect allow, got deny`);
    expect(readFileSync(junit, 'utf8')).toContain('<failure message="expected effect allow, got deny');
  });
});
