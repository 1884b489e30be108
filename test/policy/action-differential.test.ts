import { describe, expect, it } from 'vitest';
import { generatedBundleFiles, generatedRequests } from '../../bench/policy/generated.js';
import { richBundleFiles } from '../../bench/policy/rich-bundle.js';
import { loadPolicyDirectory } from '../../src/app/policies/node.js';
import {
  type ActionEvaluationInput,
  type Actor,
  actorFromSystem,
  compileBundle,
  evaluateAction,
  type PolicyBundle,
  type Verdict,
} from '../../src/policy/index.js';
import { seeded } from '../helpers/seeded.js';
import { evaluateActionBefore } from './reference/action-before.js';

// The fast evaluateAction against the implementation it replaced (reference/action-before.ts):
// the same verdict, byte for byte in JSON — key order, facts, messages, approvals, windows —
// over the benchmark's bundles, the examples and a bundle of the unusual paths, with requests
// generated to hit missing fields, wrong types and failing expressions.

const tuesday = new Date('2026-11-17T10:00:00Z');
const friday = new Date('2026-11-20T16:00:00Z');

function expectSameVerdicts(bundle: PolicyBundle, inputs: readonly ActionEvaluationInput[]): void {
  const returned: [Verdict, string][] = [];
  for (const input of inputs) {
    const reference = evaluateActionBefore(bundle, input);
    const before = JSON.stringify(reference);
    const verdict = evaluateAction(bundle, input);
    expect(JSON.stringify(verdict)).toBe(before);
    expect(verdict).toStrictEqual(reference);
    // Twice: the second verdict must not see anything the first left behind.
    const again = evaluateAction(bundle, input);
    expect(JSON.stringify(again)).toBe(before);
    returned.push([verdict, before]);
    // A caller that changes a verdict changes nothing of the verdicts after it: nothing in it is
    // shared with them (not the lists, not the approvals' selectors, not the facts).
    for (const entry of [...again.reasons, ...again.notFired, ...again.shadow])
      entry.facts['changed.by.caller'] = true;
    for (const approval of again.approvals) approval.from.push('group:changed-by-caller');
    for (const list of [again.reasons, again.notFired, again.shadow, again.policies, again.approvals])
      list.splice(0, list.length / 2, ...(list.slice(-1) as never[]));
  }
  // evaluateAction grows its lists in buffers it keeps: no later verdict may change one it returned.
  for (const [verdict, json] of returned) expect(JSON.stringify(verdict)).toBe(json);
}

/** A value of a random kind: the plain kinds the closures handle and the ones they hand back. */
function anyValue(random: () => number): unknown {
  const kinds = [
    () => Math.floor(random() * 1200),
    () => random(),
    () => `svc-${Math.floor(random() * 14)}`,
    () => 'prod',
    () => random() < 0.5,
    () => null,
    () => [`team-${Math.floor(random() * 6)}`, 'bench'],
    () => ({ nested: 1 }),
    () => Number.NaN,
    () => 'x'.repeat(1_500),
  ];
  return kinds[Math.floor(random() * kinds.length)]!();
}

/** Requests shaped like the benchmark's, with fields dropped or replaced by other kinds. */
function mutatedRequests(seed: number, count: number, layout: 'all' | 'spread'): Record<string, unknown>[] {
  const random = seeded(seed);
  const base = generatedRequests(layout);
  const out: Record<string, unknown>[] = [];
  for (let i = 0; i < count; i++) {
    const request = structuredClone(base[i % base.length]) as unknown as Record<
      string,
      Record<string, unknown>
    >;
    for (const [object, field] of [
      ['change', 'linesChanged'],
      ['change', 'files'],
      ['resource', 'id'],
      ['resource', 'environment'],
      ['context', 'labels'],
    ] as const) {
      const roll = random();
      if (roll < 0.1) delete request[object]![field];
      else if (roll < 0.25) request[object]![field] = anyValue(random);
    }
    const roll = random();
    if (roll < 0.1) delete (request as Record<string, unknown>).confidence;
    else if (roll < 0.2) (request as Record<string, unknown>).confidence = anyValue(random);
    if (random() < 0.05) delete (request as Record<string, unknown>).context;
    // An own `constructor` field makes cel-js refuse the object; the fast path must leave it to cel-js.
    if (random() < 0.05) Reflect.set(request.change!, 'constructor', anyValue(random));
    out.push(request);
  }
  return out;
}

describe('evaluateAction against the implementation before issue 22', () => {
  for (const layout of ['all', 'spread'] as const) {
    it(`agrees on the generated ${layout} bundle, its requests and mutated ones`, () => {
      const bundle = compileBundle(generatedBundleFiles(layout));
      const actors: Actor[] = [
        { id: 'bench-bot', kind: 'agent', autonomy: 2 },
        { id: 'bench-bot', kind: 'agent', autonomy: 0 },
        { id: 'bench-bot', kind: 'agent', autonomy: '1' },
        { id: 'alice', kind: 'human' },
      ];
      const requests = [
        ...generatedRequests(layout),
        ...mutatedRequests(layout === 'all' ? 1 : 2, 300, layout),
      ];
      expectSameVerdicts(
        bundle,
        requests.map((request, i) => ({
          request: request as unknown as ActionEvaluationInput['request'],
          actor: actors[i % actors.length]!,
          now: i % 2 === 0 ? tuesday : friday,
        })),
      );
    });
  }

  it('agrees after a verdict that threw half-way (a library caller passed a getter that throws)', () => {
    const bundle = compileBundle(generatedBundleFiles('all'));
    const actor: Actor = { id: 'bench-bot', kind: 'agent', autonomy: 2 };
    const [first, second] = generatedRequests('all');
    const throwing = structuredClone(first!) as unknown as Record<string, Record<string, unknown>>;
    Object.defineProperty(throwing.change!, 'files', {
      enumerable: true,
      get: () => {
        throw new Error('getter');
      },
    });
    const input = { request: throwing as unknown as ActionEvaluationInput['request'], actor, now: tuesday };
    expect(() => evaluateActionBefore(bundle, input)).toThrow('getter');
    // Half-way: the rules before the first that reads request.change.files are in the buffers by now.
    expect(() => evaluateAction(bundle, input)).toThrow('getter');
    expectSameVerdicts(bundle, [{ request: second!, actor, now: tuesday }]);
  });

  it('agrees on the example policies', () => {
    const bundle = loadPolicyDirectory(new URL('../../examples/policies', import.meta.url).pathname);
    const actors = bundle.systems.map((system) => actorFromSystem(system));
    const requests = [
      { action: 'deploy', resource: { type: 'service', id: 'payments', environment: 'prod' } },
      { action: 'deploy', resource: { type: 'service', id: 'payments', environment: 'staging' } },
      { action: 'db.migrate', resource: { type: 'database', id: 'orders', environment: 'prod' } },
      { action: 'rollback', resource: { type: 'service', id: 'payments', environment: 'prod' } },
      { action: 'model.promote', resource: { type: 'model', id: 'credit-scoring', environment: 'prod' } },
      { action: 'mcp.tool.notes.delete_note', resource: { type: 'mcp-tool', id: 'notes/delete_note' } },
    ];
    const random = seeded(3);
    const inputs: ActionEvaluationInput[] = [];
    for (let i = 0; i < 400; i++) {
      const request = structuredClone(requests[i % requests.length]!) as Record<string, unknown>;
      request.rationale = 'differential';
      if (random() < 0.8) request.confidence = random() < 0.9 ? random() : anyValue(random);
      if (random() < 0.8)
        request.change = {
          linesChanged: random() < 0.9 ? Math.floor(random() * 1200) : anyValue(random),
          destructive: random() < 0.5,
          backupTaken: random() < 0.5,
        };
      if (random() < 0.5) request.context = { gate: { passed: random() < 0.5 }, tool: 'delete_note' };
      inputs.push({
        request: request as unknown as ActionEvaluationInput['request'],
        actor: actors[i % actors.length]!,
        now: [tuesday, friday, new Date('2026-11-21T03:00:00Z')][i % 3]!,
      });
    }
    expectSameVerdicts(bundle, inputs);
  });

  it('agrees on bench/policy/rich-bundle.js: variables, failing variables, messages, shadow policies, windows, default and step-up approvals', () => {
    const bundle = compileBundle(richBundleFiles);
    const random = seeded(4);
    const inputs: ActionEvaluationInput[] = [];
    for (let i = 0; i < 300; i++) {
      const request: Record<string, unknown> = {
        action: 'deploy',
        resource: { type: 'service', id: 'payments', environment: 'prod' },
        rationale: 'differential',
      };
      if (random() < 0.9) request.confidence = random() < 0.9 ? random() : anyValue(random);
      if (random() < 0.9)
        request.change = { linesChanged: random() < 0.85 ? Math.floor(random() * 1000) : anyValue(random) };
      if (random() < 0.7)
        request.context = {
          ...(random() < 0.7 ? { risk: random() < 0.5 ? 'high' : anyValue(random) } : {}),
          ...(random() < 0.5 ? { msg: random() < 0.5 ? 'hello' : anyValue(random) } : {}),
          ...(random() < 0.4
            ? {
                labels:
                  random() < 0.7
                    ? ['x', 'y', 'z', 'w'].slice(0, 1 + Math.floor(random() * 4))
                    : anyValue(random),
              }
            : {}),
        };
      inputs.push({
        request: request as unknown as ActionEvaluationInput['request'],
        actor: { id: 'deploy-bot', kind: 'agent', autonomy: 3 },
        now: tuesday,
      });
    }
    expectSameVerdicts(bundle, inputs);
  });
});
