// bench/server/recorded-verdict.js: A/B of `recordedVerdict` — the verdict as a decision's row keeps it, its
// facts in recorded form (prose hashed, long values elided) — on the generated 200-rule bundles, where a
// verdict explains 200 rules. CPU per call, interleaved builds, median of rounds; the verdicts are
// evaluated outside the timed part (each is recorded once: the function caches by verdict).
//
// `node bench/server/recorded-verdict.js DIST ...` (DIST: a build's dist/ directory), e.g.
// `node bench/server/recorded-verdict.js /work/wt/base-main/dist dist`.
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { generatedBundleFiles, generatedRequests } from '../policy/generated.js';

const dists = process.argv.slice(2);
if (dists.length === 0) {
  console.error('usage: node bench/server/recorded-verdict.js DIST [DIST ...]');
  process.exit(2);
}
const builds = await Promise.all(
  dists.map(async (dist) => {
    const url = (path) => pathToFileURL(resolve(dist, path)).href;
    return {
      dist,
      policy: await import(url('policy/index.js')),
      recorded: await import(url('decisions/recorded-request.js')),
    };
  }),
);
const actor = { id: 'bench-bot', kind: 'agent', autonomy: 2 };
const now = new Date('2026-03-03T10:00:00Z');
const rounds = 9;
const calls = 4000;

console.log('| bundle | build | CPU µs per recordedVerdict (median of rounds) |');
console.log('| --- | --- | ---: |');
for (const layout of ['all', 'spread']) {
  const perBuild = builds.map(() => []);
  for (let round = 0; round < rounds; round++)
    builds.forEach(({ policy, recorded }, k) => {
      const bundle = policy.compileBundle(generatedBundleFiles(layout));
      const requests = generatedRequests(layout).map((request) => ({ request, actor, now }));
      const verdicts = Array.from({ length: calls }, (_, i) =>
        policy.evaluateAction(bundle, requests[i % requests.length]),
      );
      const before = process.cpuUsage();
      for (const verdict of verdicts) recorded.recordedVerdict(verdict);
      const used = process.cpuUsage(before);
      perBuild[k].push((used.user + used.system) / calls);
    });
  builds.forEach(({ dist }, k) => {
    // The first two rounds warm the JIT up.
    const sorted = perBuild[k].slice(2).sort((a, b) => a - b);
    console.log(`| ${layout} | ${dist} | ${sorted[Math.floor(sorted.length / 2)].toFixed(1)} |`);
  });
}
