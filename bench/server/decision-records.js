// bench/server/decision-records.js: A/B of the pure per-decision work that builds what a decision
// records — the token's and the request's hashes, the actor policies see, the `decision.created` entry's data and its
// canonical bytes with the personal commitment, the `decisions` row's column values — in this process, no HTTP
// and no SQLite. A loaded
// shared machine makes server-level CPU per decision swing by 2× (its batch sizes follow its rate);
// this measures the code changes to those functions alone, interleaved, as a median of rounds.
//
// `node bench/server/decision-records.js LABEL=DIST ...` (DIST: a build's dist/ directory), e.g.
// `node bench/server/decision-records.js main=/work/wt/base-main/dist branch=dist`.
import { resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
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

/**
 * This build's per-decision record work: `authenticate()` (the token's and the rate-limit key's
 * hashes) and `records(seq, salt)` (the actor, the request's hash, the entry's bytes, the
 * `decisions` row's column values); `decide` does both and returns the entry's bytes.
 */
export async function load(label, dist) {
  const root = pathToFileURL(`${resolve(dist)}/`);
  const module = (path) => import(new URL(path, root).href);
  const [lifecycle, hashes, entry, digest, canonical, limits, sqlRecords] = await Promise.all([
    module('decisions/lifecycle.js'),
    module('decisions/request-hash.js'),
    module('ledger/entry.js'),
    module('core/digest.js'),
    module('core/canonical-json.js'),
    module('server/limits.js'),
    module('store/sql/records.js'),
  ]);
  // The autonomy hook's `{ ...actor, autonomy }`, as this build writes it (copy and key once there is core/own-copy.js).
  const ownCopy = await module('core/own-copy.js').then(
    (copy) => copy.ownCopy,
    () => undefined,
  );
  const withAutonomy = (actor, autonomy) => {
    if (!ownCopy) return { ...actor, autonomy };
    const copy = ownCopy(actor);
    copy.autonomy = autonomy;
    return copy;
  };
  const actor = 'system:deploy-bot';
  const time = new Date('2026-12-06T22:55:18.479Z');
  const authenticate = () => {
    limits.rateLimitKey({ headers: { authorization: `Bearer ${token}` }, ip: '127.0.0.1' });
    digest.sha256Hex(token);
  };
  /** One decision's entry, the way this build's server makes it (and the decision it records). */
  const created = (seq, salt) => {
    const actorSeen = withAutonomy(lifecycle.baseActor(system, { name: 'unused', groups: [] }), 3);
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
    return { decision, bytes: entry.buildEntry(append, seq, time, salt).bytes };
  };
  /** One decision's records: its entry's bytes and its `decisions` row's column values. */
  const records = (seq, salt) => {
    const { decision, bytes } = created(seq, salt);
    return { bytes, columns: sqlRecords.decisionColumns(lifecycle.newDecisionRow(decision, seq)) };
  };
  return { label, authenticate, records };
}

function cpuUs() {
  const { user, system } = process.cpuUsage();
  return user + system;
}

async function main() {
  const variants = await Promise.all(
    process.argv.slice(2).map((argument) => load(...argument.split(/=(.*)/s).slice(0, 2))),
  );
  if (variants.length === 0) {
    console.error('usage: node bench/server/decision-records.js LABEL=DIST ...');
    process.exit(2);
  }
  // Every build must record the same bytes and row (a fixed salt stands in for the random one).
  const fixedSalt = (size) => new Uint8Array(size).fill(7);
  const recorded = (v) => {
    const { bytes, columns } = v.records(1, fixedSalt);
    return `${Buffer.from(bytes).toString()}\n${JSON.stringify(columns)}`;
  };
  const reference = recorded(variants[0]);
  for (const v of variants) {
    if (recorded(v) !== reference)
      throw new Error(`${v.label} records other bytes than ${variants[0].label}`);
  }
  const perRound = 20_000;
  const rounds = 15;
  const results = new Map(variants.map((v) => [v.label, []]));
  const decide = (v, i) => {
    v.authenticate();
    return v.records(i);
  };
  for (const v of variants) for (let i = 0; i < perRound; i++) decide(v, i); // warm-up
  for (let round = 0; round < rounds; round++) {
    for (const v of variants) {
      const before = cpuUs();
      for (let i = 0; i < perRound; i++) decide(v, i);
      results.get(v.label).push((cpuUs() - before) / perRound);
    }
  }
  const median = (values) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)];
  console.log(
    `| variant | CPU µs per decision's records, entry and row (median of ${rounds} rounds × ${perRound}) |`,
  );
  console.log('|---|---|');
  for (const [label, values] of results) console.log(`| ${label} | ${median(values).toFixed(2)} |`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
