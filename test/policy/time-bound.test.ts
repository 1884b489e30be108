import { describe, expect, it } from 'vitest';
import { isArbiterError } from '../../src/core/errors.js';
import { compileExpression, isCompileFailure } from '../../src/policy/index.js';
import { celLimits } from '../../src/policy/limits.js';

// The wall-clock backstop of CEL evaluation, with the clock injected: an evaluation that iterates
// past celLimits.maxIterationMs fails closed, and no test has to wait for it.

const compiled = compileExpression('request.items.all(x, x >= 0)', 'action', 'bool');
if (isCompileFailure(compiled)) throw new Error(compiled.message);
const context = { request: { items: Array.from({ length: 2_000 }, (_, i) => i) } };

/** A clock that moves `stepMs` every time it is read, and counts the readings. */
function ticking(stepMs: number) {
  const clock = Object.assign(() => clock.readings++ * stepMs, { readings: 0 });
  return clock;
}

describe('the iteration time bound', () => {
  it('is not reached while the clock stands still', () => {
    const clock = ticking(0);
    expect(compiled.evaluate(context as never, clock)).toBe(true);
    // Read every fourth comprehension step: the meter did consult the injected clock.
    expect(clock.readings).toBeGreaterThan(400);
  });

  it('fails the evaluation once the clock passes the bound, naming it', () => {
    const clock = ticking(1);
    let error: unknown;
    try {
      compiled.evaluate(context as never, clock);
    } catch (caught) {
      error = caught;
    }
    expect(isArbiterError(error, 'ARB_ERR_POLICY_CEL_COST')).toBe(true);
    expect((error as Error).message).toBe(`evaluation iterated for more than ${celLimits.maxIterationMs} ms`);
    // The first reading starts the clock; the bound is crossed on the reading after it.
    expect(clock.readings).toBe(celLimits.maxIterationMs + 2);
  });
});
