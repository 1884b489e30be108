import { pino } from 'pino';
import type { Logger } from '../../core/logger.js';

/** The logger used when none is given: pino on stderr at warn level, so background failures are seen. */
export function stderrLogger(): Logger {
  return pino({ level: 'warn' }, pino.destination(2));
}
