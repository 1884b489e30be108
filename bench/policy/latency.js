// bench/policy/latency.js: the verdict latency of one generated bundle layout, in a process of its own
// so that its V8 flags are the ones given: `node [--max-semi-space-size=N] bench/policy/latency.js all`
// prints {median, p99, perSecond} as JSON. bench/policy/index.js runs it with the young generation
// `arbiter serve` runs with and with V8's default.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { serveNodeFlags } from '../../dist/cli/young-generation.js';
import { compileBundle, evaluateAction } from '../../dist/policy/index.js';
import { measure } from '../measure.js';
import { generatedBundleFiles, generatedRequests } from './generated.js';

const self = fileURLToPath(import.meta.url);

/** The node flags of `arbiter serve` as started by an operator: its semi-space size (none when 0). */
export const serverFlags = serveNodeFlags([], process.env, []) ?? [];

/** Verdict latency of `layout` measured in a child node started with `flags`. */
export function verdictLatency(layout, flags) {
  return JSON.parse(execFileSync(process.execPath, [...flags, self, layout], { encoding: 'utf8' }));
}

if (process.argv[1] === self) {
  const layout = process.argv[2];
  const bundle = compileBundle(generatedBundleFiles(layout));
  const actor = { id: 'bench-bot', kind: 'agent', autonomy: 2 };
  const now = new Date('2026-11-17T10:00:00Z');
  const requests = generatedRequests(layout).map((request) => ({ request, actor, now }));
  const result = measure((item) => evaluateAction(bundle, item), requests, { samples: 100_000 });
  process.stdout.write(`${JSON.stringify(result)}\n`);
}
