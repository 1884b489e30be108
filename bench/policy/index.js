// bench/policy: in-process verdict latency of the policy engine against Cedar (cedar-wasm),
// on the example bundle and on a generated 200-rule bundle.
import { fileURLToPath } from 'node:url';
import * as cedar from '@cedar-policy/cedar-wasm/nodejs';
import { loadPolicyDirectory } from '../../dist/app/policies/node.js';
import * as engine from '../../dist/policy/index.js';
import { actorFromSystem, compileBundle, evaluateAction } from '../../dist/policy/index.js';
import { fmt, measure } from '../measure.js';
import { cedarCall, cedarEffect, examplePolicies } from './examples.cedar.js';
import {
  generatedBundleFiles,
  generatedCedarCall,
  generatedCedarPolicies,
  generatedRequests,
} from './generated.js';
import { hardeningBench } from './hardening.js';
import { serverFlags, verdictLatency } from './latency.js';
import { measureWork, workHeader, workRows } from './work.js';

const examplesDir = fileURLToPath(new URL('../../examples/policies', import.meta.url));
const tuesday = new Date('2026-11-17T10:00:00Z');
const friday = new Date('2026-11-20T16:00:00Z');

export function exampleMix(bundle) {
  const system = (id) => actorFromSystem(bundle.system(id));
  const prod = (id) => ({ type: 'service', id, environment: 'prod' });
  return [
    {
      actor: system('deploy-bot'),
      now: tuesday,
      request: {
        action: 'deploy',
        resource: prod('payments'),
        change: { linesChanged: 40 },
        rationale: 'Roll out the checkout fix',
        confidence: 0.97,
      },
    },
    {
      actor: system('deploy-bot'),
      now: tuesday,
      request: {
        action: 'deploy',
        resource: prod('payments'),
        change: { linesChanged: 812 },
        rationale: 'New payment provider',
        confidence: 0.95,
      },
    },
    {
      actor: system('deploy-bot'),
      now: friday,
      request: {
        action: 'deploy',
        resource: prod('payments'),
        change: { linesChanged: 40 },
        rationale: 'Roll out the checkout fix',
        confidence: 0.99,
      },
    },
    {
      actor: system('deploy-bot'),
      now: tuesday,
      request: {
        action: 'deploy',
        resource: { type: 'service', id: 'payments', environment: 'staging' },
        rationale: 'staging rollout',
      },
    },
    {
      actor: system('migrate-bot'),
      now: tuesday,
      request: {
        action: 'db.migrate',
        resource: { type: 'database', id: 'orders', environment: 'prod' },
        change: { destructive: true, backupTaken: true },
        rationale: 'Drop legacy column',
      },
    },
    {
      actor: system('migrate-bot'),
      now: tuesday,
      request: {
        action: 'db.migrate',
        resource: { type: 'database', id: 'orders', environment: 'staging' },
        change: { destructive: false },
        rationale: 'Add index',
      },
    },
    {
      actor: system('deploy-bot'),
      now: tuesday,
      request: {
        action: 'rollback',
        resource: prod('payments'),
        change: { toVersion: '2026.11.17-3' },
        rationale: 'Error rate tripled',
      },
    },
    {
      actor: system('credit-scoring'),
      now: tuesday,
      request: {
        action: 'model.promote',
        resource: { type: 'model', id: 'credit-scoring', environment: 'prod' },
        rationale: 'Weekly retrain',
        context: { gate: { passed: true } },
      },
    },
    {
      actor: system('triage-bot'),
      now: tuesday,
      request: {
        action: 'deploy',
        resource: { type: 'service', id: 'helpdesk', environment: 'staging' },
        rationale: 'Auto-deploy',
      },
    },
  ];
}

function approvalIds(policies) {
  return new Set(
    Object.entries(policies)
      .filter(([, text]) => text.includes('@effect("require_approval")'))
      .map(([id]) => id),
  );
}

function preparse(id, policies) {
  const answer = cedar.preparsePolicySet(id, { staticPolicies: policies });
  if (answer.type !== 'success') throw new Error(`cedar parse: ${JSON.stringify(answer.errors)}`);
}

/** Both engines must reach the same effect on every request, or the comparison is meaningless. */
function assertAgreement(label, cases, ours, theirs) {
  for (const [i, item] of cases.entries()) {
    const a = ours(item);
    const b = theirs(item);
    if (a !== b) throw new Error(`${label}: request ${i} is ${a} in Arbiter but ${b} in Cedar`);
  }
}

export async function run({ log }) {
  const rows = [];
  const record = (label, engine, result) => {
    rows.push(
      `| ${label} | ${engine} | ${fmt.us(result.median)} | ${fmt.us(result.p99)} | ${fmt.rate(result.perSecond)} |`,
    );
    log(
      `${label} / ${engine}: median ${fmt.us(result.median)} µs, p99 ${fmt.us(result.p99)} µs, ${fmt.rate(result.perSecond)}/s`,
    );
  };

  // Example bundle.
  const examples = loadPolicyDirectory(examplesDir);
  const mix = exampleMix(examples);
  preparse('examples', examplePolicies);
  const exampleApprovals = approvalIds(examplePolicies);
  const cedarMix = mix.map((item) => cedarCall('examples', item.request, item.actor, item.now));
  const effects = mix.map((item) => evaluateAction(examples, item).effect);
  assertAgreement(
    'examples',
    mix.map((item, i) => ({ item, call: cedarMix[i] })),
    ({ item }) => evaluateAction(examples, item).effect,
    ({ call }) => cedarEffect(cedar.statefulIsAuthorized(call), exampleApprovals),
  );
  log(`example effects: ${effects.join(', ')}`);
  record(
    `examples (${mix.length} requests, ${examples.actionPolicies.reduce((n, p) => n + p.rules.length, 0)} rules)`,
    'Arbiter',
    measure((item) => evaluateAction(examples, item), mix),
  );
  record(
    'examples',
    'Cedar 4 (wasm)',
    measure((call) => cedarEffect(cedar.statefulIsAuthorized(call), exampleApprovals), cedarMix, {
      samples: 50_000,
      warmup: 5_000,
    }),
  );

  // Generated 200-rule bundles.
  const serverHeap =
    serverFlags.length > 0
      ? `heap as \`arbiter serve\` runs (\`${serverFlags.join(' ')}\`)`
      : 'heap as `arbiter serve` runs (V8 default)';
  const actor = { id: 'bench-bot', kind: 'agent', autonomy: 2 };
  for (const layout of ['all', 'spread']) {
    const generated = compileBundle(generatedBundleFiles(layout));
    const cedarPolicies = generatedCedarPolicies(layout);
    preparse(`generated-${layout}`, cedarPolicies);
    const generatedApprovals = approvalIds(cedarPolicies);
    const requests = generatedRequests(layout).map((request) => ({ request, actor, now: tuesday }));
    const cedarRequests = requests.map((item) =>
      generatedCedarCall(`generated-${layout}`, item.request, actor),
    );
    assertAgreement(
      `generated-${layout}`,
      requests.map((item, i) => ({ item, call: cedarRequests[i] })),
      ({ item }) => evaluateAction(generated, item).effect,
      ({ call }) => cedarEffect(cedar.statefulIsAuthorized(call), generatedApprovals),
    );
    log(
      `generated (${layout}) effects: ${requests.map((item) => evaluateAction(generated, item).effect).join(', ')}`,
    );
    const label =
      layout === 'all'
        ? '200 rules, all run on every decision'
        : '200 rules in 20 policies, matched by action and environment';
    // Each in a child node, so its heap is the one named: as `arbiter serve` runs, and V8's default.
    record(label, `Arbiter, ${serverHeap}`, verdictLatency(layout, serverFlags));
    record(label, "Arbiter, V8's default heap", verdictLatency(layout, []));
    record(
      label,
      'Cedar 4 (wasm)',
      measure((call) => cedarEffect(cedar.statefulIsAuthorized(call), generatedApprovals), cedarRequests, {
        samples: 20_000,
        warmup: 2_000,
      }),
    );
  }

  const hardening = hardeningBench({ engine, loadPolicyDirectory, log });
  const [work] = measureWork();
  const workTable = [workHeader, ...workRows('this build', work)].join('\n');
  log(`work per verdict:\n${workTable}`);

  return `## Policy engine (\`bench/policy\`)

In-process verdict latency: \`evaluateAction\` (full verdict with explanation: fired and not-fired rules with the
values they read, merged approvals, shadow result) against Cedar ${cedar.getCedarVersion()} through
\`@cedar-policy/cedar-wasm\` with the policy set preparsed once (\`preparsePolicySet\` + \`statefulIsAuthorized\`).
Both engines decide the same requests and the benchmark checks they reach the same effect on each.
Cedar's \`require_approval\` is a \`forbid\` annotated \`@effect("require_approval")\`; its requests carry day of week,
hour and decimals precomputed, since Cedar has no clock or floats. Latency per verdict in microseconds.

| bundle | engine | median µs | p99 µs | verdicts/s (one core) |
| --- | --- | ---: | ---: | ---: |
${rows.join('\n')}

Targets (issue 2): faster than Cedar on equivalent decisions; p99 under 50 µs for the 200-rule bundle.

The generated bundles' Arbiter rows are each measured in a child node process (\`bench/policy/latency.js\`),
once with the young generation \`arbiter serve\` runs with (\`--semi-space-mb\`, docs/deployment.md) and once
with V8's default (16 MB semi-spaces on 64-bit): library callers of \`evaluateAction\` get the heap their own
process has. The example and Cedar rows run in the bench process (V8's default heap).

Work per Arbiter verdict on the generated bundles (\`bench/policy/work.js\`, each figure in a child process):
bytes allocated counted with a young generation large enough that no collection interrupts a batch;
CPU time and collections over 100,000 verdicts with V8's default heap (comparable with earlier rounds).
The bytes repeat to within a few percent on a loaded machine; CPU time does not.
\`node bench/policy/work.js <dist> <dist>\` compares builds side by side.

${workTable}

${hardening}`;
}
