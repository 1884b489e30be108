// bench/policy/allocation.js: how many bytes one `evaluateAction` verdict allocates on the generated
// 200-rule bundles, and where (issue 22). Bytes per verdict come from the heap's growth over batches
// that saw no garbage collection (work.js); the sites from V8's sampling heap profiler, which keeps
// the samples of objects already collected too, so short-lived garbage counts.
//
// `node --max-semi-space-size=64 --expose-gc bench/policy/allocation.js [dist] [sites]`
// (dist: a build's dist/, default this checkout's; sites: how many allocation sites to list, default 12).
import { Session } from 'node:inspector/promises';
import { resolve } from 'node:path';
import { PerformanceObserver } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { generatedBundleFiles, generatedRequests } from './generated.js';
import { bytesPerVerdict } from './work.js';

const dist = resolve(process.argv[2] ?? fileURLToPath(new URL('../../dist', import.meta.url)));
const shown = Number(process.argv[3] ?? 12);
if (typeof globalThis.gc !== 'function') {
  console.error('run with --expose-gc (and --max-semi-space-size=64 so a batch fits the young generation)');
  process.exit(2);
}
const { compileBundle, evaluateAction } = await import(pathToFileURL(resolve(dist, 'policy/index.js')).href);
const actor = { id: 'bench-bot', kind: 'agent', autonomy: 2 };
const now = new Date('2026-11-17T10:00:00Z');
const collections = [];
const observer = new PerformanceObserver((list) => collections.push(...list.getEntries()));
observer.observe({ entryTypes: ['gc'] });

const session = new Session();
session.connect();

/** Bytes allocated per verdict by function and source line, over `verdicts` sampled verdicts. */
async function allocationSites(verdict, verdicts) {
  await session.post('HeapProfiler.startSampling', {
    samplingInterval: 64,
    includeObjectsCollectedByMajorGC: true,
    includeObjectsCollectedByMinorGC: true,
  });
  for (let i = 0; i < verdicts; i++) verdict(i);
  const { profile } = await session.post('HeapProfiler.stopSampling');
  const bySite = new Map();
  const name = ({ functionName, url, lineNumber }) =>
    url === ''
      ? `${functionName || '(anonymous)'} (builtin)`
      : `${functionName || '(anonymous)'} ${url.replace(/^.*\/dist\//, '')}:${lineNumber + 1}`;
  // A builtin (a Map's set, an iterator's next) is named with the function that called it.
  const visit = (node, caller) => {
    const frame = name(node.callFrame);
    const site = node.callFrame.url === '' && caller ? `${frame} <- ${caller}` : frame;
    if (node.selfSize > 0) bySite.set(site, (bySite.get(site) ?? 0) + node.selfSize);
    for (const child of node.children) visit(child, node.callFrame.url === '' ? caller : frame);
  };
  visit(profile.head, undefined);
  return [...bySite].map(([site, bytes]) => [site, bytes / verdicts]).sort((a, b) => b[1] - a[1]);
}

console.log(`build: ${dist}`);
for (const layout of ['all', 'spread']) {
  const bundle = compileBundle(generatedBundleFiles(layout));
  const items = generatedRequests(layout).map((request) => ({ request, actor, now }));
  const verdict = (i) => evaluateAction(bundle, items[i % items.length]);
  for (let i = 0; i < 10_000; i++) verdict(i);
  const bytes = await bytesPerVerdict(verdict, collections);
  const sites = await allocationSites(verdict, 20_000);
  const sampled = sites.reduce((sum, [, b]) => sum + b, 0);
  console.log(
    `\n${layout}: ${Math.round(bytes).toLocaleString('en-US')} bytes / verdict (heap growth); sampled ${Math.round(sampled).toLocaleString('en-US')}`,
  );
  for (const [site, b] of sites.slice(0, shown))
    console.log(`${Math.round(b).toString().padStart(7)}  ${site}`);
}
observer.disconnect();
session.disconnect();
