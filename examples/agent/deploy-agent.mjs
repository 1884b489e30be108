#!/usr/bin/env node
// A scripted agent: asks Arbiter before deploying, waits for humans when it must, deploys only
// when allowed, and reports what happened. Run it against `npm start`:
//
//   ARBITER_URL=http://127.0.0.1:8080 ARBITER_TOKEN=<deploy-bot token> node examples/agent/deploy-agent.mjs
//
// Options (environment): SERVICE (payments), ENVIRONMENT (prod), LINES (812), CONFIDENCE (0.95),
// SIMULATE_FAILURE=1 to report a failed deploy, WAIT_SECONDS (300).
import { ArbiterClient } from 'arbiter/client';

const env = process.env;
if (!env.ARBITER_TOKEN) {
  console.error('set ARBITER_TOKEN to an agent token (npm start prints one for deploy-bot)');
  process.exit(2);
}
const client = new ArbiterClient({ url: env.ARBITER_URL ?? 'http://127.0.0.1:8080', token: env.ARBITER_TOKEN });
const service = env.SERVICE ?? 'payments';
const environment = env.ENVIRONMENT ?? 'prod';

let decision = await client.requestAction({
  action: 'deploy',
  resource: { type: 'service', id: service, environment },
  change: { linesChanged: Number(env.LINES ?? 812) },
  rationale: `Roll out ${service} build ${env.BUILD ?? '2026.11.23-1'}: fixes the checkout timeout`,
  confidence: Number(env.CONFIDENCE ?? 0.95),
  evidence: [{ type: 'ci', url: env.CI_URL ?? 'https://ci.example.com/runs/4711' }],
});
console.log(`asked: ${decision.id} is ${decision.status}`);
for (const reason of decision.reasons) console.log(`  ${reason.effect} ${reason.policy}/${reason.rule}: ${reason.message}`);

if (decision.status === 'pending') {
  for (const requirement of decision.approvals.required) {
    console.log(`  waiting for ${requirement.count} approval(s) from ${requirement.from.join(' and ') || 'any approver'}`);
  }
  decision = await client.waitForDecision(decision.id, {
    timeoutMs: Number(env.WAIT_SECONDS ?? 300) * 1000,
    onWaiting: () => console.log('  …still waiting'),
  });
  console.log(`decided: ${decision.id} is ${decision.status}${decision.statusReason ? ` (${decision.statusReason})` : ''}`);
}

if (decision.status !== 'allowed') {
  console.log('not deploying.');
  process.exit(1);
}

// Claim it right before acting: an allowed decision runs once, and not after a freeze revoked it.
try {
  decision = await client.start(decision.id);
} catch (error) {
  console.log(`not deploying: ${error.code}: ${error.message}`);
  process.exit(1);
}
console.log(`deploying ${service} to ${environment}…`);
const failed = env.SIMULATE_FAILURE === '1';
await client.reportOutcome(decision.id, failed ? 'failed' : 'succeeded', failed ? 'health checks failed after rollout' : 'healthy after rollout');
console.log(`reported ${failed ? 'failed' : 'succeeded'}.`);
process.exit(failed ? 1 : 0);
