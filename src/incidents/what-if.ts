import type { PolicyBundle } from '../policy/bundle.js';
import { type Actor, evaluateAction } from '../policy/evaluate-action.js';
import type { ActionRequest } from '../policy/request.js';
import type { TraceReplay } from './trace.js';

/**
 * "What would have stopped it": a recorded request evaluated again, against the policies in force
 * now or a candidate directory, at the time it was made (so time rules judge it as they would
 * have). The actor's recent history is not replayed: rules reading `actor.recent` see none.
 */
export function replayRequest(
  bundle: PolicyBundle,
  input: { request: ActionRequest; actor: Actor; at: Date; recordedEffect: string },
): TraceReplay {
  const verdict = evaluateAction(bundle, { request: input.request, actor: input.actor, now: input.at });
  const recordedAllowed = input.recordedEffect === 'allow';
  return {
    bundle: bundle.digest,
    effect: verdict.effect,
    recordedEffect: input.recordedEffect,
    wouldHaveStopped: verdict.effect === 'deny' || (verdict.effect === 'require_approval' && recordedAllowed),
    rules: verdict.reasons
      .filter((reason) => reason.effect !== 'allow')
      .map(({ policy, rule, effect, message, facts }) => ({ policy, rule, effect, message, facts })),
    approvals: verdict.approvals.map(({ count, from, ttl, rules }) => ({ count, from, ttl, rules })),
  };
}
