import { describe, expect, it } from 'vitest';
import { type ActionEvaluationInput, evaluateAction, type PolicyBundle } from '../../src/policy/index.js';
import { actionPolicy, bundleOf } from '../helpers/bundle.js';
import { evaluateActionBefore } from './reference/action-before.js';

// Attack review of branch celalloc (issue 22): evaluateAction keeps its lists between verdicts. A
// verdict must still be its own: not changed by a verdict evaluated while it is being built (a
// library caller's request whose getter evaluates another request), not by a verdict that threw,
// and not by a caller mutating what an earlier verdict returned.

const now = new Date('2026-11-17T10:00:00Z');
const actor = { id: 'deploy-bot', kind: 'agent', autonomy: 3 } as const;

/** `deny-big` (policy a) is evaluated before `reads-context` (policy b) reads request.context. */
const bundle: PolicyBundle = bundleOf({
  'a.yaml': actionPolicy(
    'a',
    '  rules:\n    - name: deny-big\n      when: request.change.linesChanged > 100\n      effect: deny\n    - name: ask-mid\n      when: request.change.linesChanged > 50\n      effect: require_approval\n      approval: {from: ["group:sre"], ttl: 1h}\n',
  ),
  'b.yaml': actionPolicy(
    'b',
    '  rules:\n    - name: reads-context\n      when: request.context.ok == true\n      effect: allow\n',
  ),
});

function input(request: Record<string, unknown>): ActionEvaluationInput {
  return { request: request as unknown as ActionEvaluationInput['request'], actor, now };
}

const small = { action: 'deploy', change: { linesChanged: 1 }, context: { ok: true } };

/** A request for a big change whose `context` is read through a getter that runs `inside` first. */
function bigWithGetter(inside: () => void): Record<string, unknown> {
  const request: Record<string, unknown> = { action: 'deploy', change: { linesChanged: 500 } };
  Object.defineProperty(request, 'context', {
    enumerable: true,
    get() {
      inside();
      return { ok: true };
    },
  });
  return request;
}

describe('a verdict shares nothing with another verdict (celalloc attack review)', () => {
  it('a verdict evaluated from a getter of the request while another is being built changes neither', () => {
    const inner: string[] = [];
    const request = bigWithGetter(() => inner.push(JSON.stringify(evaluateAction(bundle, input(small)))));
    const expected = JSON.stringify(evaluateActionBefore(bundle, input(request)));
    inner.length = 0;
    const verdict = evaluateAction(bundle, input(request));
    expect(JSON.parse(expected).effect).toBe('deny');
    // The inner verdict must not wipe the deny that policy a already recorded in the outer one.
    expect(verdict.effect).toBe('deny');
    expect(JSON.stringify(verdict)).toBe(expected);
    expect(inner.length).toBeGreaterThan(0);
    for (const json of inner) expect(json).toBe(JSON.stringify(evaluateActionBefore(bundle, input(small))));
  });

  it('a verdict that threw half-way leaves nothing in the next one', () => {
    const request = bigWithGetter(() => {
      throw new Error('hostile getter');
    });
    let thrown: unknown;
    try {
      evaluateAction(bundle, input(request));
    } catch (error) {
      thrown = error;
    }
    let reference: unknown;
    try {
      evaluateActionBefore(bundle, input(request));
    } catch (error) {
      reference = error;
    }
    expect(String(thrown)).toBe(String(reference));
    expect(JSON.stringify(evaluateAction(bundle, input(small)))).toBe(
      JSON.stringify(evaluateActionBefore(bundle, input(small))),
    );
  });

  it('mutating every list and object of a returned verdict changes no later verdict', () => {
    const mid = { action: 'deploy', change: { linesChanged: 60 }, context: { ok: true } };
    for (const request of [mid, small, { action: 'deploy', change: { linesChanged: 500 } }]) {
      const first = evaluateAction(bundle, input(request));
      const mutable = first as unknown as Record<string, unknown[]>;
      for (const key of ['reasons', 'notFired', 'approvals', 'shadow', 'policies']) {
        for (const item of mutable[key]!) {
          if (item && typeof item === 'object') {
            for (const value of Object.values(item)) {
              if (Array.isArray(value)) value.push('mutated');
              else if (value && typeof value === 'object') Object.assign(value, { mutated: true });
            }
            Object.assign(item, { mutated: true });
          }
        }
        mutable[key]!.push('mutated');
      }
      if (first.executionWindow) Object.assign(first.executionWindow, { windowMs: -1 });
      expect(JSON.stringify(evaluateAction(bundle, input(request)))).toBe(
        JSON.stringify(evaluateActionBefore(bundle, input(request))),
      );
    }
  });
});
