import type { AutonomyChange, System } from './api/types.js';

/** Why a System acts below its document's level, as the Systems view says it. */
export type AutonomyCap =
  | { cause: AutonomyChange['cause']; text: string; change: AutonomyChange }
  /** The server sent no changes (an older server): the level is lower, the cause unknown. */
  | { cause: 'unknown'; text: string };

/**
 * Why `system` acts below its document's level (`autonomyCeiling`); undefined when it does not.
 * The newest change is the one that stands (the server's rule), so it alone names the cause:
 * `demoted from 3 by its error budget (3 failures in 7d)` or `set to 1 by bob: <reason>`.
 * The window is the System's current error budget's, the one a demotion was counted in unless the
 * document changed since.
 */
export function autonomyCap(
  // An older server sends no ceiling, changes or budget.
  system: Pick<System, 'autonomy'> &
    Partial<Pick<System, 'autonomyCeiling' | 'autonomyChanges' | 'errorBudget'>>,
): AutonomyCap | undefined {
  const ceiling = system.autonomyCeiling;
  if (typeof ceiling !== 'number' || ceiling <= system.autonomy) return undefined;
  const standing = system.autonomyChanges?.[0];
  if (!standing) return { cause: 'unknown', text: `lowered from ${ceiling}` };
  if (standing.cause === 'budget') {
    const failures = standing.decisions.length;
    const window = system.errorBudget?.window;
    return {
      cause: 'budget',
      change: standing,
      text: `demoted from ${standing.from} by its error budget (${failures} failure${failures === 1 ? '' : 's'}${
        window ? ` in ${window}` : ''
      })`,
    };
  }
  return {
    cause: 'human',
    change: standing,
    text: `set to ${standing.to} by ${standing.by}: ${standing.reason}`,
  };
}
