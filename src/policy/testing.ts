import { Value } from '@sinclair/typebox/value';
import { parseDuration } from '../core/duration.js';
import type { PolicyBundle } from './bundle.js';
import { type PolicyTestCase, type PolicyTestDocument, testKinds } from './documents.js';
import { type Actor, actorFromSystem, evaluateAction, type Verdict } from './evaluate-action.js';
import { evaluateGate, type GateEvaluation } from './evaluate-gate.js';
import { bundleLoadError, type LoadProblem } from './problems.js';
import { ActionRequestSchema, ActorSchema } from './request.js';
import { validateDocument } from './schema-problems.js';
import { type Position, parseYamlFile, type SourceFile } from './yaml-source.js';

/** A `kind: PolicyTest` document with the position of each case. */
export interface PolicyTestSuite {
  file: string;
  name: string;
  cases: { spec: PolicyTestCase; at: Position }[];
}

/** The outcome of one test case. */
export interface PolicyTestResult {
  suite: string;
  file: string;
  line: number;
  name: string;
  passed: boolean;
  /** What differed from the expectation, one line each. */
  failures: string[];
  verdict?: Verdict;
  gate?: GateEvaluation;
}

/** When a case gives no `now`: a fixed Monday morning, so tests never depend on the clock. */
export const defaultTestNow = '2026-01-05T10:00:00Z';

/** Parses and validates `*.test.yaml` files; problems reject them all, like a bundle. */
export function compilePolicyTests(files: readonly SourceFile[]): PolicyTestSuite[] {
  const problems: LoadProblem[] = [];
  const suites: PolicyTestSuite[] = [];
  for (const file of files) {
    const parsed = parseYamlFile(file);
    problems.push(...parsed.problems);
    for (const source of parsed.documents) {
      const { document, problems: found } = validateDocument(source, testKinds);
      problems.push(...found);
      if (!document) continue;
      const spec = (document.value as PolicyTestDocument).spec;
      suites.push({
        file: source.file,
        name: document.name,
        cases: spec.cases.map((testCase, i) => ({
          spec: testCase,
          at: source.locator.at(['spec', 'cases', i]),
        })),
      });
      spec.cases.forEach((testCase, i) => {
        const at = (field: string) => ({
          file: source.file,
          ...source.locator.at(['spec', 'cases', i, field]),
        });
        if (testCase.input === undefined && testCase.release === undefined) {
          problems.push({
            ...at('expect'),
            code: 'ARB_ERR_POLICY_MISSING_FIELD',
            message: 'a test case needs an input (action request) or a release (gate)',
          });
        }
        if (testCase.now !== undefined && Number.isNaN(Date.parse(testCase.now))) {
          problems.push({
            ...at('now'),
            code: 'ARB_ERR_POLICY_INVALID_VALUE',
            message: `now "${testCase.now}" is not an ISO 8601 time`,
          });
        }
        if (testCase.input !== undefined && !Value.Check(ActionRequestSchema, testCase.input)) {
          const first = [...Value.Errors(ActionRequestSchema, testCase.input)][0];
          problems.push({
            ...at('input'),
            code: 'ARB_ERR_POLICY_WRONG_TYPE',
            message:
              `input is not a valid action request: ${first?.path || '/'} ${first?.message ?? ''}`.trim(),
          });
        }
      });
    }
  }
  if (problems.length > 0) throw bundleLoadError(problems);
  return suites;
}

/** Runs every case of every suite against the bundle. Pure apart from reading nothing: all inputs are given. */
export function runPolicyTests(bundle: PolicyBundle, suites: readonly PolicyTestSuite[]): PolicyTestResult[] {
  const results: PolicyTestResult[] = [];
  for (const suite of suites) {
    for (const { spec, at } of suite.cases) {
      const base = { suite: suite.name, file: suite.file, line: at.line, name: spec.name };
      const now = new Date(spec.now ?? defaultTestNow);
      const failures: string[] = [];
      if (spec.input !== undefined) {
        const resolved = resolveActor(bundle, spec.actor, failures);
        if (!resolved) {
          results.push({ ...base, passed: false, failures });
          continue;
        }
        const actor = {
          ...resolved,
          ...(spec.recent ? { recent: spec.recent } : {}),
          ...(spec.trackRecord ? { trackRecord: spec.trackRecord } : {}),
        };
        const verdict = evaluateAction(bundle, { request: spec.input as never, actor, now });
        checkVerdict(spec, verdict, failures);
        results.push({ ...base, passed: failures.length === 0, failures, verdict });
      } else {
        const gate = evaluateGate(bundle, {
          release: spec.release ?? {},
          ...(spec.baseline ? { baseline: spec.baseline } : {}),
          now,
        });
        checkGate(spec, gate, failures);
        results.push({ ...base, passed: failures.length === 0, failures, gate });
      }
    }
  }
  return results;
}

function resolveActor(
  bundle: PolicyBundle,
  actor: PolicyTestCase['actor'],
  failures: string[],
): Actor | undefined {
  if (actor === undefined) return { id: 'test-user', kind: 'human', groups: [] };
  if (typeof actor === 'string') {
    const system = bundle.system(actor);
    if (!system) failures.push(`actor "${actor}" is not a System of the bundle`);
    return system ? actorFromSystem(system) : undefined;
  }
  if (!Value.Check(ActorSchema, actor)) {
    failures.push('actor must have an id and a kind (agent, model or human)');
    return undefined;
  }
  return actor as Actor;
}

function checkVerdict(spec: PolicyTestCase, verdict: Verdict, failures: string[]): void {
  const { expect } = spec;
  if (expect.effect !== undefined && verdict.effect !== expect.effect) {
    const fired =
      verdict.reasons.map((reason) => `${reason.policy}/${reason.rule}`).join(', ') ||
      'none (bundle default)';
    failures.push(`expected effect ${expect.effect}, got ${verdict.effect} (rules fired: ${fired})`);
  }
  const fired = new Set(verdict.reasons.map((reason) => `${reason.policy}/${reason.rule}`));
  for (const rule of expect.rules ?? [])
    if (!fired.has(rule))
      failures.push(`expected rule ${rule} to fire; fired: ${[...fired].join(', ') || 'none'}`);
  // `rules: []` means "no rule fired" (the default decided), not "no expectation".
  if (expect.rules?.length === 0 && fired.size > 0)
    failures.push(`expected no rule to fire; fired: ${[...fired].join(', ')}`);
  for (const rule of expect.notRules ?? [])
    if (fired.has(rule)) failures.push(`expected rule ${rule} not to fire, but it did`);
  if (expect.approvals !== undefined) {
    const describe = (a: { count?: number; from?: readonly string[]; ttl?: string }) =>
      `${a.count ?? Math.max(1, a.from?.length ?? 0)} from [${[...(a.from ?? [])].sort().join(', ')}]${a.ttl ? ` within ${a.ttl}` : ''}`;
    const actual = verdict.approvals.map((approval) => describe(approval));
    const wanted = expect.approvals.map((approval) => ({
      text: describe(approval),
      matches: (a: (typeof verdict.approvals)[number]) =>
        a.count === (approval.count ?? Math.max(1, approval.from?.length ?? 0)) &&
        a.from.join(',') === [...(approval.from ?? [])].sort().join(',') &&
        (approval.ttl === undefined || a.ttlMs === parseDuration(approval.ttl)),
    }));
    const unmatched = wanted.filter((want) => !verdict.approvals.some(want.matches));
    if (unmatched.length > 0 || wanted.length !== verdict.approvals.length) {
      failures.push(
        `expected approvals [${wanted.map((w) => w.text).join('; ')}], got [${actual.join('; ')}]`,
      );
    }
  }
}

function checkGate(spec: PolicyTestCase, gate: GateEvaluation, failures: string[]): void {
  const { expect } = spec;
  const failed = gate.checks
    .filter((check) => check.status === 'failed')
    .map((check) => `${check.policy}/${check.check}`);
  if (expect.passed !== undefined && gate.passed !== expect.passed) {
    failures.push(
      `expected the gate to ${expect.passed ? 'pass' : 'fail'}; failed checks: ${failed.join(', ') || 'none'}`,
    );
  }
  if (expect.failedChecks !== undefined) {
    const wanted = [...expect.failedChecks].sort();
    if (wanted.join(',') !== [...failed].sort().join(',')) {
      failures.push(`expected failed checks [${wanted.join(', ')}], got [${failed.join(', ')}]`);
    }
  }
  if (expect.effect !== undefined || expect.rules !== undefined || expect.approvals !== undefined) {
    failures.push(
      'effect, rules and approvals expectations apply to action requests (input), not to releases',
    );
  }
}
