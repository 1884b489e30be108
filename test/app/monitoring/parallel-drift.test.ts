// arbiter/monitor/parallel runs its worker from the built drift-worker.js: `npm run build` first.
import { spawnSync } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import type * as Parallel from '../../../src/app/monitoring/parallel-drift.js';
import { numericDrift } from '../../../src/monitor/stats/index.js';
import { repoRoot } from '../../helpers/cli.js';
import { parkMiller } from '../../monitor/stats/reference.js';

const parallel = (await import(
  new URL('../../../dist/app/monitoring/parallel-drift.js', import.meta.url).href
)) as typeof Parallel;

const columns = [11, 12, 13, 14, 15].map((seed, k) => ({
  reference: parkMiller(seed, 3000 + 500 * k).map((u) => Math.trunc(u * (20 + 30 * k)) / 10),
  current: parkMiller(seed + 100, 2500 + 400 * k).map((u) => Math.trunc(u * (25 + 30 * k)) / 10 + 0.1),
  options: { bins: 5 + 3 * k },
}));

function expectRefusal(error: unknown, reason: string, argument: string): void {
  // The error class comes from the built package, a different module instance than src's.
  expect((error as Error).name).toBe('StatsInputError');
  expect(error).toBeInstanceOf(RangeError);
  expect((error as { reason: string }).reason).toBe(reason);
  expect((error as { argument: string }).argument).toBe(argument);
}

describe('arbiter/monitor/parallel: refused inputs', () => {
  const pool = new parallel.DriftPool({ threads: 1 });
  afterAll(() => pool.close());

  it('rejects a NaN, an empty sample and a string posing as a number before any thread sees them', async () => {
    expectRefusal(await pool.numericDrift([1, Number.NaN], [1]).catch((e) => e), 'not-finite', 'reference');
    expectRefusal(await pool.numericDrift([1], new Float64Array(0)).catch((e) => e), 'empty', 'current');
    const forged = [1, '2'] as unknown as number[];
    expectRefusal(await pool.numericDrift([1, 2], forged).catch((e) => e), 'not-finite', 'current');
  });

  it('rethrows the worker’s refusal of bad options as the same StatsInputError', async () => {
    const error = await pool.numericDrift([1, 2], [3], { bins: 0 }).catch((e) => e);
    expectRefusal(error, 'out-of-range', 'bins');
    expect(error.message).toBe('bins: is 0, must be an integer >= 1');
    // The worker survives a refusal.
    expect((await pool.numericDrift([1, 2], [2, 3])).ks.statistic).toBe(0.5);
  });

  it('refuses a thread count that is not a positive integer', () => {
    for (const threads of [0, -1, 1.5]) expect(() => new parallel.DriftPool({ threads })).toThrow(/threads/);
  });

  it('rejects work after close', async () => {
    const closing = new parallel.DriftPool({ threads: 1 });
    await closing.close();
    await expect(closing.numericDrift([1], [2])).rejects.toThrow('closed');
  });
});

describe('arbiter/monitor/parallel: the same results as numericDrift', () => {
  it('computes every column on two threads, in column order, equal to numericDrift', async () => {
    const results = await parallel.numericDriftInParallel(columns, { threads: 2 });
    expect(results).toEqual(columns.map((c) => numericDrift(c.reference, c.current, c.options)));
  });

  it('accepts Float64Arrays, including views into a larger buffer, and leaves them untouched', async () => {
    const backing = Float64Array.from(parkMiller(31, 5000));
    const reference = backing.subarray(1000, 4000);
    const current = Float64Array.from(parkMiller(32, 2000), (u) => u + 0.05);
    const before = Array.from(reference);
    const pool = new parallel.DriftPool({ threads: 2 });
    try {
      const [result] = await Promise.all([
        pool.numericDrift(reference, current),
        pool.numericDrift(current, reference),
      ]);
      expect(result).toEqual(numericDrift(Array.from(reference), Array.from(current)));
      expect(Array.from(reference)).toEqual(before);
      expect(current.length).toBe(2000);
    } finally {
      await pool.close();
    }
  });

  it('does not keep the process alive when a pool is left open', () => {
    const script = `import { DriftPool } from 'arbiter/monitor/parallel';
      const pool = new DriftPool({ threads: 2 });
      const result = await pool.numericDrift([1, 2, 3], [2, 3, 4]);
      console.log(result.ks.statistic);`;
    const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      cwd: repoRoot,
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(run.stderr).toBe('');
    expect(run.stdout.trim()).toBe(String(1 / 3));
    expect(run.status).toBe(0);
  });
});
