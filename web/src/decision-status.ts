import type { Decision } from './api/types.js';

/**
 * What each decision status means to a person reading the dashboard (docs/server.md), and what
 * the outcome panel says while no outcome was reported.
 */
export const decisionStatusMeaning: Readonly<Record<Decision['status'], string>> = {
  pending: 'waits for approvals',
  allowed: 'may run: the requester has not started it yet',
  started: 'claimed by the requester: it runs once',
  denied: 'refused: by policy, an approver, an expired approval window or a freeze',
  revoked: 'allowed, but a freeze stopped it before it started',
  withdrawn: 'given up on by the requester before it was approved or started',
  expired: 'allowed, but not started within its execution window',
};

/** The outcome panel's sentence for a decision without an outcome. */
export function missingOutcomeText(status: Decision['status']): string {
  if (status === 'started') return 'Started; the requester has not reported how it went yet.';
  if (status === 'allowed') return 'Allowed and not started yet: the requester has not claimed it.';
  if (status === 'pending') return 'No outcome: it waits for approval.';
  return 'No outcome: it did not run.';
}
