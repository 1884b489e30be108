// bench/policy, hardening part: what the load-time and run-time bounds of issue 11 cost on the
// example policies, and how quickly hostile input is refused or fails closed.
// `engine` is a build of arbiter/policy (dist/policy/index.js), so two builds can be compared;
// `loadPolicyDirectory` comes from the same build's arbiter/policy/node (it reads the disk).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { fmt, measure } from '../measure.js';

const examplesDir = fileURLToPath(new URL('../../examples/policies', import.meta.url));
const tuesday = new Date('2026-11-17T10:00:00Z');

/** Requests through MCP tools: the example policy that uses `matches` (three patterns per request). */
export function mcpToolMix(bundle, actorFromSystem) {
  const actor = actorFromSystem(bundle.system('deploy-bot'));
  return ['read_note', 'delete_note', 'write_note', 'search_notes'].map((tool) => ({
    actor,
    now: tuesday,
    request: {
      action: `mcp.tool.notes.${tool}`,
      resource: { type: 'mcp-tool', id: `notes/${tool}` },
      rationale: 'bench',
      context: { tool },
    },
  }));
}

/** Milliseconds for one call of fn, the median of `runs`. */
function once(fn, runs = 5) {
  const times = [];
  for (let i = 0; i < runs; i++) {
    const start = process.hrtime.bigint();
    fn();
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

function rejectionCode(fn) {
  try {
    fn();
  } catch (error) {
    return error.details?.problems?.[0]?.code ?? error.code;
  }
  return 'loaded';
}

/** Runs the hardening measurements against one build; returns its Markdown section. */
export function hardeningBench({ engine, loadPolicyDirectory, log }) {
  const { actorFromSystem, compileBundle, evaluateAction } = engine;
  const examples = loadPolicyDirectory(examplesDir);
  const mcp = mcpToolMix(examples, actorFromSystem);
  const rows = [];
  const verdicts = (label, items) => {
    const result = measure((item) => evaluateAction(examples, item), items);
    rows.push(
      `| ${label} | ${fmt.us(result.median)} µs | ${fmt.us(result.p99)} µs | ${fmt.rate(result.perSecond)}/s |`,
    );
    log(`${label}: median ${fmt.us(result.median)} µs, p99 ${fmt.us(result.p99)} µs`);
  };
  verdicts(`MCP tools (${mcp.length} requests, \`matches\` through RE2)`, mcp);

  const load = once(() => loadPolicyDirectory(examplesDir), 21);
  rows.push(`| load and compile the example bundle | ${load.toFixed(1)} ms | | |`);
  log(`load examples: ${load.toFixed(1)} ms`);

  const rule = (name, when, effect) =>
    `    - name: ${name}\n      when: ${JSON.stringify(when)}\n      effect: ${effect}\n`;
  const hostile = compileBundle([
    {
      path: 'hostile.yaml',
      text: `apiVersion: arbiter/v1\nkind: ActionPolicy\nmetadata: { name: hostile }\nspec:\n  rules:\n${rule('deny-bad', 'request.context.items.exists(x, x < 0)', 'deny')}${rule('allow-good', 'request.context.items.all(x, x >= 0)', 'allow')}${rule('scan', 'request.context.items.exists(x, x in request.context.other)', 'deny')}`,
    },
  ]);
  const million = Array.from({ length: 1_000_000 }, (_, i) => i);
  const hostileRequest = (context) => ({
    actor: { id: 'bench-bot', kind: 'agent' },
    now: tuesday,
    request: { action: 'deploy', resource: { type: 'service', id: 'x' }, rationale: 'bench', context },
  });
  const big = hostileRequest({ items: million, other: [] });
  const bigVerdict = evaluateAction(hostile, big);
  const bigMs = once(() => evaluateAction(hostile, big));
  rows.push(
    `| 1,000,000-element list, 3 comprehension rules → ${bigVerdict.effect} (${bigVerdict.reasons.concat(bigVerdict.notFired).filter((r) => r.error?.startsWith('ARB_ERR_POLICY_CEL_COST')).length} rules at the step bound) | ${bigMs.toFixed(1)} ms | | |`,
  );
  log(`million-element request: ${bigVerdict.effect} in ${bigMs.toFixed(1)} ms`);
  const scan = hostileRequest({
    items: Array.from({ length: 50_000 }, (_, i) => i),
    other: Array.from({ length: 50_000 }, (_, i) => -i - 1),
  });
  const scanVerdict = evaluateAction(hostile, scan);
  const scanMs = once(() => evaluateAction(hostile, scan), 3);
  rows.push(
    `| 50,000 steps each scanning 50,000 elements → ${scanVerdict.effect} (time bound) | ${scanMs.toFixed(1)} ms | | |`,
  );
  log(`scan request: ${scanVerdict.effect} in ${scanMs.toFixed(1)} ms`);

  const bomb = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
  for (let i = 1; i < 9; i++)
    bomb.push(
      `${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(10)
        .fill(`*${String.fromCharCode(96 + i)}`)
        .join(', ')}]`,
    );
  const bombFile = [{ path: 'bomb.yaml', text: `${bomb.join('\n')}\n` }];
  const bombMs = once(() => rejectionCode(() => compileBundle(bombFile)));
  rows.push(
    `| YAML alias bomb (10⁹ nodes) → ${rejectionCode(() => compileBundle(bombFile))} | ${bombMs.toFixed(1)} ms | | |`,
  );
  const huge = [
    {
      path: 'huge.yaml',
      text: readFileSync(new URL(import.meta.url))
        .toString()
        .repeat(200),
    },
  ];
  const hugeMs = once(() => rejectionCode(() => compileBundle(huge)));
  rows.push(
    `| ${(huge[0].text.length / 2 ** 20).toFixed(1)} MiB file → ${rejectionCode(() => compileBundle(huge))} | ${hugeMs.toFixed(1)} ms | | |`,
  );
  log(`alias bomb ${bombMs.toFixed(1)} ms, huge file ${hugeMs.toFixed(1)} ms`);

  return `### Hostile input (issue 11)

What the bounds cost and how fast hostile input is refused (time per call; see [policies.md](policies.md#limits)):

| case | median | p99 | rate |
| --- | ---: | ---: | ---: |
${rows.join('\n')}`;
}
