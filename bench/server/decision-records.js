// bench/server/decision-records.js: A/B of the pure per-decision work that builds what a decision
// records — the token's and the request's hashes, the actor policies see, the `decision.created` entry's data and its
// canonical bytes with the personal commitment — in this process, no HTTP and no SQLite. A loaded
// shared machine makes server-level CPU per decision swing by 2× (its batch sizes follow its rate);
// this measures the code changes to those functions alone, interleaved, as a median of rounds.
//
// `node bench/server/decision-records.js LABEL=DIST ...` (DIST: a build's dist/ directory), e.g.
// `node bench/server/decision-records.js main=/work/wt/base-main/dist branch=dist`.
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { decisionBody } from './decisions.js';

// The example bundle's deploy-bot, its spec parsed from JSON as the store returns it.
const system = {
  id: 'deploy-bot',
  kind: 'agent',
  spec: JSON.parse(
    '{"kind":"agent","owner":{"team":"platform","person":"dana@example.com"},"onCall":{"team":"platform-oncall","rotation":"platform-primary"},"autonomy":3,"riskTier":"high","errorBudget":{"maxFailures":2,"window":"7d","environments":["prod"]}}',
  ),
  source: 'bundle',
  status: 'active',
  createdAt: '2026-12-06T00:00:00.000Z',
  updatedAt: '2026-12-06T00:00:00.000Z',
};
const token = 'arb_agent_0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJ';
const verdictOf = (autonomy) => ({
  effect: 'allow',
  bundle: 'sha256:1df8c74ca99c4c578ea39d3d6080e8c28e3933b04961f0eb511aacc01178c387',
  reasons: [
    {
      policy: 'non-prod-deploys',
      rule: 'allowed',
      effect: 'allow',
      message: 'Deploys outside production are allowed',
      facts: {
        'request.action': 'deploy',
        'request.resource.environment': 'staging',
        'actor.autonomy': autonomy,
      },
    },
  ],
  notFired: [
    { policy: 'prod-deploys', rule: 'needs-approval', facts: { 'request.resource.environment': 'staging' } },
    { policy: 'large-changes', rule: 'review', facts: { 'request.change.linesChanged': 40 } },
  ],
  shadow: [],
  approvals: [],
});

async function load(label, dist) {
  const root = pathToFileURL(`${resolve(dist)}/`);
  const module = (path) => import(new URL(path, root).href);
  const [lifecycle, hashes, entry, digest, canonical, limits] = await Promise.all([
    module('decisions/lifecycle.js'),
    module('decisions/request-hash.js'),
    module('ledger/entry.js'),
    module('core/digest.js'),
    module('core/canonical-json.js'),
    module('server/limits.js'),
  ]);
  const actor = 'system:deploy-bot';
  const time = new Date('2026-12-06T22:55:18.479Z');
  /** One decision's records, the way this build's server makes them. */
  const decide = (seq, salt) => {
    limits.rateLimitKey({ headers: { authorization: `Bearer ${token}` }, ip: '127.0.0.1' });
    digest.sha256Hex(token);
    const actorSeen = { ...lifecycle.baseActor(system, { name: 'unused', groups: [] }), autonomy: 3 };
    const { idempotencyKey: _, ...request } = { ...decisionBody, resource: { ...decisionBody.resource } };
    let requestHash;
    let requestJson;
    if (hashes.requestHashOf) {
      requestJson = canonical.canonicalJson(request);
      requestHash = hashes.requestHashOf(actor, requestJson);
    } else requestHash = hashes.requestHash(actor, request);
    const decision = {
      id: `dec_${seq}`,
      actor,
      system: undefined,
      request,
      requestHash,
      ...(requestJson ? { requestJson } : {}),
      verdict: verdictOf(actorSeen.autonomy),
      statusReason: undefined,
      now: time,
    };
    const append = {
      type: 'decision.created',
      actor,
      subject: decision.id,
      ...lifecycle.createdEntry(decision),
    };
    return entry.buildEntry(append, seq, time, salt).bytes;
  };
  return { label, decide };
}

function cpuUs() {
  const { user, system } = process.cpuUsage();
  return user + system;
}

const variants = await Promise.all(
  process.argv.slice(2).map((argument) => load(...argument.split(/=(.*)/s).slice(0, 2))),
);
if (variants.length === 0) {
  console.error('usage: node bench/server/decision-records.js LABEL=DIST ...');
  process.exit(2);
}
// Every build must record the same bytes (a fixed salt stands in for the random one).
const fixedSalt = (size) => new Uint8Array(size).fill(7);
const reference = Buffer.from(variants[0].decide(1, fixedSalt)).toString();
for (const v of variants) {
  if (Buffer.from(v.decide(1, fixedSalt)).toString() !== reference)
    throw new Error(`${v.label} records other bytes than ${variants[0].label}`);
}
const perRound = 20_000;
const rounds = 15;
const results = new Map(variants.map((v) => [v.label, []]));
for (const v of variants) for (let i = 0; i < perRound; i++) v.decide(i); // warm-up
for (let round = 0; round < rounds; round++) {
  for (const v of variants) {
    const before = cpuUs();
    for (let i = 0; i < perRound; i++) v.decide(i);
    results.get(v.label).push((cpuUs() - before) / perRound);
  }
}
const median = (values) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)];
console.log(`| variant | CPU µs per decision's records (median of ${rounds} rounds × ${perRound}) |`);
console.log('|---|---|');
for (const [label, values] of results) console.log(`| ${label} | ${median(values).toFixed(2)} |`);
