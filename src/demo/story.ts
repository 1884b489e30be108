import { fileURLToPath } from 'node:url';
import type { Arbiter } from '../app/arbiter.js';
import type { GateRunRequest } from '../app/gate-runs/report.js';
import { runGate } from '../app/releases/run-gate.js';
import { systemRef } from '../identity/actor-ref.js';
import type { Principal } from '../identity/principal.js';

/** What the demo's accountability story left behind, for the start-up banner. */
export interface DemoStory {
  /** The credit-scoring model's release gates, recorded as its CI would: 1.1.0 passes, 1.2.0 fails. */
  gateRuns: { version: string; passed: boolean; id: string }[];
  failedDecision: string;
  incident?: string;
  waiting?: string;
}

const deployBot: Principal = { tokenId: 'demo', role: 'agent', systemId: 'deploy-bot', groups: [] };
const approvers: Principal[] = [
  { tokenId: 'demo', role: 'approver', user: 'alice', groups: ['sre'] },
  { tokenId: 'demo', role: 'approver', user: 'bob', groups: ['sre', 'platform'] },
];

/**
 * Plays issue 9's story once on a fresh demo database, so every dashboard view has something in it:
 * deploy-bot's large production deploy is approved by two people and fails, which opens an incident
 * for its owner; a second deploy then waits in the approvals inbox. Idempotency keys make later
 * starts find the story instead of repeating it. When the policies of the day answer differently
 * (the Friday-afternoon freeze denies deploys), the story stops where the policies stopped it.
 */
export async function seedDemoStory(arbiter: Arbiter): Promise<DemoStory | undefined> {
  if (!(await arbiter.systems.list()).some((system) => system.id === 'deploy-bot')) return undefined;
  const { decision, created } = await arbiter.decisions.request(deployBot, {
    action: 'deploy',
    resource: { type: 'service', id: 'payments', environment: 'prod' },
    change: { linesChanged: 812, fromVersion: '2.3.4', toVersion: '2.4.0' },
    rationale: 'Roll out the retry fix for the checkout timeout (CI green, canary skipped to save time)',
    confidence: 0.93,
    evidence: [{ type: 'ci', url: 'https://ci.example.com/payments/builds/4812' }],
    idempotencyKey: 'demo-story-payments-2.4.0',
  });
  const story: DemoStory = { gateRuns: await recordDemoGateRuns(arbiter), failedDecision: decision.id };
  if (created && decision.status === 'pending') {
    for (const approver of approvers)
      await arbiter.decisions.vote(approver, decision.id, {
        verdict: 'approve',
        reason: 'diff reviewed; retries are bounded',
        requestHash: decision.requestHash,
      });
    await arbiter.decisions.reportOutcome(deployBot, decision.id, {
      status: 'failed',
      detail: 'checkout error rate rose to 14% within 5 minutes of the rollout',
    });
  }
  const [incident] = await arbiter.incidents.list(approvers[1]!, { systemId: 'deploy-bot', limit: 1 });
  if (incident) story.incident = incident.id;
  const waiting = await arbiter.decisions.request(deployBot, {
    action: 'deploy',
    resource: { type: 'service', id: 'search', environment: 'prod' },
    change: { linesChanged: 640 },
    rationale: 'Ship the ranking model v7 behind the new feature flag',
    confidence: 0.88,
    idempotencyKey: 'demo-story-search-v7',
  });
  if (waiting.decision.status === 'pending') story.waiting = waiting.decision.id;
  return story;
}

const examples = (path: string) => fileURLToPath(new URL(`../../examples/${path}`, import.meta.url));
const creditScoring: Principal = { tokenId: 'demo', role: 'agent', systemId: 'credit-scoring', groups: [] };

/** Runs the gate on the example credit-scoring releases against the server's policies and records it. */
async function recordDemoGateRuns(arbiter: Arbiter): Promise<DemoStory['gateRuns']> {
  const policies = arbiter.policies.directory;
  if (!policies || !arbiter.policies.bundle.system('credit-scoring')) return [];
  const recorded: DemoStory['gateRuns'] = [];
  for (const [version, baseline] of [
    ['1.1.0', undefined],
    ['1.2.0', '1.1.0'],
  ] as const) {
    // A report differs run to run (its time), so a later start finds the first record instead.
    const idempotencyKey = `demo-gate-credit-scoring-${version}`;
    const existing = await arbiter.store.gateRunByIdempotencyKey(systemRef('credit-scoring'), idempotencyKey);
    if (existing) {
      recorded.push({ version, passed: existing.passed, id: existing.id });
      continue;
    }
    const { run } = await runGate({
      policies,
      release: examples(`releases/credit-scoring/${version}/release.yaml`),
      ...(baseline ? { baseline: examples(`releases/credit-scoring/${baseline}/release.yaml`) } : {}),
      osv: examples('osv'),
    });
    const { run: stored } = await arbiter.gateRuns.record(creditScoring, {
      ...(run as unknown as GateRunRequest),
      idempotencyKey,
    });
    recorded.push({ version, passed: stored.passed, id: stored.id });
  }
  return recorded;
}
