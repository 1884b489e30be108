import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { BackgroundLoops } from '../../src/app/background.js';
import type { Logger } from '../../src/core/logger.js';

function recordingLogger(): Logger & { errors: { details: object; message: string }[] } {
  const errors: { details: object; message: string }[] = [];
  return { errors, warn() {}, error: (details, message) => errors.push({ details, message }) };
}

describe('background loops', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('reports a failed pass through the logger, naming the loop, and runs again on the next tick', async () => {
    const logger = recordingLogger();
    const loops = new BackgroundLoops(logger);
    let passes = 0;
    loops.start({
      name: 'checkpoint signing',
      everyMs: 100,
      run: async () => {
        passes++;
        if (passes === 1) throw new Error('database is locked');
      },
    });
    await vi.advanceTimersByTimeAsync(100);
    expect(logger.errors).toHaveLength(1);
    expect(logger.errors[0]!.message).toContain('checkpoint signing');
    expect(logger.errors[0]!.details).toMatchObject({ loop: 'checkpoint signing' });
    await vi.advanceTimersByTimeAsync(100);
    expect(passes).toBe(2);
    expect(logger.errors).toHaveLength(1);
    loops.stop();
  });

  it('never overlaps a pass that is still running, and stops when told', async () => {
    const loops = new BackgroundLoops(recordingLogger());
    let running = 0;
    let most = 0;
    let passes = 0;
    loops.start({
      name: 'slow',
      everyMs: 10,
      run: async () => {
        running++;
        passes++;
        most = Math.max(most, running);
        await new Promise((resolve) => setTimeout(resolve, 35));
        running--;
      },
    });
    await vi.advanceTimersByTimeAsync(200);
    expect(most).toBe(1);
    expect(passes).toBeGreaterThan(2);
    loops.stop();
    const stoppedAt = passes;
    await vi.advanceTimersByTimeAsync(200);
    expect(passes).toBe(stoppedAt);
  });
});
