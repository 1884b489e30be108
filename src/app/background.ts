import type { Logger } from '../core/logger.js';

/** One periodic piece of background work. */
export interface BackgroundLoop {
  /** Names the loop in log lines. */
  name: string;
  everyMs: number;
  run(): Promise<unknown>;
}

/**
 * The server's background work in one place: each loop runs every `everyMs`, never overlaps
 * itself (a slow pass skips ticks instead of piling up), never keeps the process alive, and
 * reports a failed pass through the server's logger — the next tick tries again.
 */
export class BackgroundLoops {
  private readonly timers: NodeJS.Timeout[] = [];

  constructor(private readonly logger: Logger) {}

  /** Starts `loop`; it runs until `stop()`. */
  start(loop: BackgroundLoop): void {
    let running = false;
    const timer = setInterval(() => {
      if (running) return;
      running = true;
      loop
        .run()
        .catch((error: unknown) =>
          this.logger.error(
            { loop: loop.name, err: error instanceof Error ? error : new Error(String(error)) },
            `background ${loop.name} failed; retrying in ${loop.everyMs} ms`,
          ),
        )
        .finally(() => {
          running = false;
        });
    }, loop.everyMs);
    timer.unref();
    this.timers.push(timer);
  }

  /** Stops every loop; a pass already running finishes on its own. */
  stop(): void {
    for (const timer of this.timers.splice(0)) clearInterval(timer);
  }
}
