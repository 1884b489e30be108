/** Exit codes every `arbiter` command uses. */
export const exitCodes = {
  /** The command worked and, where it judged something, the verdict was positive. */
  ok: 0,
  /** A verdict or check failed: denied, approval required, a failing test or gate. */
  failed: 1,
  /** The command line or an input was wrong; nothing was judged. */
  usage: 2,
} as const;

export type ExitCode = (typeof exitCodes)[keyof typeof exitCodes];
