// bench/policy/verdict-differential.js: evaluateAction of two builds over the same requests, compared
// as JSON (issue 22 attack review of celalloc). Bundles: the generated 'all' and 'spread', the
// examples and a bundle of the unusual paths (variables, shadow, messages, windows, step-up and
// default approvals), evaluated interleaved; requests from a seed, mutated with hostile values
// (NaN, -0, bigint, symbols, functions, Maps, Dates, bytes, null-prototype and `__proto__` objects,
// getters that throw, proxies, 3,000-deep nesting, 6,000-element lists). Each build gets its own
// copy of each request. A thrown error counts as its class and message.
//
// `node bench/policy/verdict-differential.js <checkout A> <checkout B> [seeds]` (each checkout built).

// The unusual-paths bundle is data, not code under test: this checkout's, whatever A and B are.
import { richBundleFiles } from './rich-bundle.js';

const [aDir, bDir, countArg] = process.argv.slice(2);
const A = {
  policy: await import(`${aDir}/dist/policy/index.js`),
  node: await import(`${aDir}/dist/app/policies/node.js`),
};
const B = {
  policy: await import(`${bDir}/dist/policy/index.js`),
  node: await import(`${bDir}/dist/app/policies/node.js`),
};
const gen = await import(`${aDir}/bench/policy/generated.js`);
const count = Number(countArg ?? 3000);

function seeded(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function bundles(impl) {
  return [
    ['all', impl.policy.compileBundle(gen.generatedBundleFiles('all'))],
    ['spread', impl.policy.compileBundle(gen.generatedBundleFiles('spread'))],
    ['examples', impl.node.loadPolicyDirectory(`${aDir}/examples/policies`)],
    ['rich', impl.policy.compileBundle(richBundleFiles)],
  ];
}
const bA = bundles(A),
  bB = bundles(B);

function value(r, depth) {
  const kinds = [
    () => Math.floor(r() * 1200),
    () => r(),
    () => -0,
    () => Number.NaN,
    () => Infinity,
    () => 2 ** 60,
    () => -1,
    () => `svc-${Math.floor(r() * 14)}`,
    () => 'prod',
    () => 'payments',
    () => 'high',
    () => 'x'.repeat(Math.floor(r() * 3000)),
    () => 'é\u0000\ud800',
    () => r() < 0.5,
    () => null,
    () => undefined,
    () => [`team-${Math.floor(r() * 6)}`, 'bench', 'x'],
    () => Array.from({ length: Math.floor(r() * 6000) }, (_, i) => i),
    () => (depth < 4 ? { nested: value(r, depth + 1), passed: r() < 0.5 } : {}),
    () =>
      new Map([
        ['passed', r() < 0.5],
        ['x', 1],
      ]),
    () => new Date(Math.floor(r() * 2e12)),
    () => new Uint8Array(Math.floor(r() * 50)),
    () => Object.assign(Object.create(null), { passed: true, risk: 'high' }),
    () => JSON.parse('{"__proto__": {"passed": true}, "constructor": 1, "passed": false}'),
    () => {
      let o = { v: 1 };
      for (let i = 0; i < 3000; i++) o = { nested: o, passed: true };
      return o;
    },
    () => {
      const o = {};
      Object.defineProperty(o, 'passed', { enumerable: true, get: () => true });
      return o;
    },
    () => {
      const o = {};
      Object.defineProperty(o, 'passed', {
        enumerable: true,
        get: () => {
          throw new Error('getter boom');
        },
      });
      return o;
    },
    () =>
      new Proxy(
        { passed: true, risk: 'high' },
        { get: (t, k) => (k === 'risk' ? 'high' : Reflect.get(t, k)) },
      ),
    () => 10n,
    () => Symbol('s'),
    () => () => 1,
  ];
  return kinds[Math.floor(r() * kinds.length)]();
}
function request(seed, layout) {
  const r = seeded(seed);
  const base = structuredClone(gen.generatedRequests(layout === 'spread' ? 'spread' : 'all')[seed % 8]);
  const actions = [
    'deploy',
    'db.migrate',
    'rollback',
    'model.promote',
    'mcp.tool.notes.delete_note',
    base.action,
  ];
  if (r() < 0.5) base.action = actions[Math.floor(r() * actions.length)];
  base.resource.id = r() < 0.3 ? 'payments' : base.resource.id;
  for (const [o, f] of [
    ['change', 'linesChanged'],
    ['change', 'files'],
    ['change', 'destructive'],
    ['change', 'backupTaken'],
    ['resource', 'id'],
    ['resource', 'environment'],
    ['context', 'labels'],
    ['context', 'gate'],
    ['context', 'risk'],
    ['context', 'msg'],
    ['context', 'tool'],
  ]) {
    const roll = r();
    if (roll < 0.1) delete base[o][f];
    else if (roll < 0.4) base[o][f] = value(r, 0);
  }
  if (r() < 0.2) base.confidence = value(r, 0);
  if (r() < 0.05) delete base.context;
  if (r() < 0.05) base.change = value(r, 0);
  if (r() < 0.03) Reflect.set(base.change ?? {}, 'constructor', value(r, 0));
  return base;
}
function actor(seed) {
  const list = [
    { id: 'bench-bot', kind: 'agent', autonomy: 2 },
    { id: 'bench-bot', kind: 'agent', autonomy: 0 },
    { id: 'b', kind: 'agent', autonomy: '1' },
    { id: 'alice', kind: 'human' },
    { id: 'deploy-bot', kind: 'agent', autonomy: 3, riskTier: 'high' },
  ];
  return list[seed % list.length];
}
const times = [
  new Date('2026-11-17T10:00:00Z'),
  new Date('2026-11-20T16:00:00Z'),
  new Date('2026-11-21T03:00:00Z'),
];
function run(impl, bundle, seed, layout) {
  try {
    return JSON.stringify(
      impl.policy.evaluateAction(bundle, {
        request: request(seed, layout),
        actor: actor(seed),
        now: times[seed % 3],
      }),
    );
  } catch (e) {
    return `THROW ${e?.constructor?.name}: ${e?.message}`;
  }
}
let diffs = 0,
  throws = 0;
const kept = [];
for (let seed = 0; seed < count; seed++) {
  for (let i = 0; i < bA.length; i++) {
    const [name, ba] = bA[i];
    const bb = bB[i][1];
    const a = run(A, ba, seed, name);
    const b = run(B, bb, seed, name);
    if (a.startsWith('THROW')) throws++;
    if (a !== b) {
      diffs++;
      if (diffs <= 5) console.log(`DIFF ${name} seed ${seed}\nA ${a.slice(0, 600)}\nB ${b.slice(0, 600)}`);
    }
    if (seed % 97 === 0)
      kept.push([
        B.policy.evaluateAction(bb, {
          request: request(seed, name),
          actor: actor(seed),
          now: times[seed % 3],
        }),
        b,
      ]);
  }
}
let changed = 0;
for (const [v, json] of kept) if (JSON.stringify(v) !== json) changed++;
console.log(JSON.stringify({ compared: count * bA.length, diffs, throws, laterChanged: changed }));
