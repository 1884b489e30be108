import { packageVersion } from '../app/version.js';
import { type ExitCode, exitCodes } from './exit-codes.js';
import { isHookAgent } from './hook-agents.js';
import { type Output, processOutput } from './output.js';

// This module is what `bin/arbiter.js` loads first: it imports only what the fast paths need and
// leaves commander and every command module to `program.ts`, loaded on demand (never re-export
// from it here: a static re-export would load it on every start).

/** `arbiter hook AGENT …` without a request for help: the per-tool-call path, kept off commander. */
function isHookCall(args: readonly string[]): boolean {
  return args[0] === 'hook' && isHookAgent(args[1]) && !args.includes('--help') && !args.includes('-h');
}

/** Runs the CLI and resolves to the exit code (the binary sets process.exitCode from it). */
export async function main(argv: readonly string[], output: Output = processOutput): Promise<ExitCode> {
  const args = argv.slice(2);
  if (args.length === 1 && (args[0] === '--version' || args[0] === '-V')) {
    output.out(packageVersion());
    return exitCodes.ok;
  }
  if (isHookCall(args)) {
    const { runHook } = await import('./hook-run.js');
    return runHook(args.slice(1), { output });
  }
  const { runProgram } = await import('./program.js');
  return runProgram(argv, output);
}
