import { Command, CommanderError } from 'commander';
import { packageVersion } from '../app/version.js';
import { isArbiterError } from '../core/errors.js';
import { formatProblem, type LoadProblem } from '../policy/index.js';
import { registerBomCommands } from './bom.js';
import { registerDataCommands } from './data.js';
import { registerDbCommands } from './db.js';
import { registerExecCommand } from './exec.js';
import { type ExitCode, exitCodes } from './exit-codes.js';
import { registerGateCommand } from './gate.js';
import { registerIncidentCommands } from './incident.js';
import { type Output, processOutput } from './io.js';
import { registerLedgerCommands } from './ledger.js';
import { registerMcpCommands } from './mcp.js';
import { registerMonitorCommands } from './monitor.js';
import { registerPolicyCommands } from './policy.js';
import { registerRedteamCommand } from './redteam.js';
import { registerRemoteCommands } from './remote.js';
import { registerReportCommand } from './report.js';
import { registerScanCommand } from './scan.js';
import { registerServeCommand } from './serve.js';
import { registerTokenCommands } from './tokens.js';
import { registerWitnessCommands } from './witness.js';

/** Builds the `arbiter` command tree. */
export function buildProgram(output: Output, setExit: (code: ExitCode) => void): Command {
  const program = new Command('arbiter')
    .description('Arbiter: the accountability layer for AI in software delivery')
    .version(packageVersion(), '-V, --version')
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({
      writeOut: (text) => output.out(text.replace(/\n$/, '')),
      writeErr: (text) => output.err(text.replace(/\n$/, '')),
    })
    .exitOverride()
    .addHelpText(
      'after',
      '\nExit codes: 0 ok, 1 a verdict or check failed, 2 usage or input error.\nDocs: README.md and docs/ in the Arbiter repository.',
    );

  const run = async (action: () => Promise<ExitCode> | ExitCode): Promise<void> => {
    try {
      setExit(await action());
    } catch (error) {
      setExit(reportError(error, output));
    }
  };
  registerPolicyCommands(program, output, run);
  registerLedgerCommands(program, output, run);
  registerServeCommand(program, output, run);
  registerTokenCommands(program, output, run);
  registerRemoteCommands(program, output, run);
  registerDbCommands(program, output, run);
  registerMcpCommands(program, output, run);
  registerExecCommand(program, output, run);
  registerScanCommand(program, output, run);
  registerGateCommand(program, output, run);
  registerBomCommands(program, output, run);
  registerMonitorCommands(program, output, run);
  registerDataCommands(program, output, run);
  registerIncidentCommands(program, output, run);
  registerReportCommand(program, output, run);
  registerRedteamCommand(program, output, run);
  registerWitnessCommands(program, output, run);
  return program;
}

/** Prints an error the way a user can act on it and returns the exit code. */
export function reportError(error: unknown, output: Output): ExitCode {
  if (isArbiterError(error)) {
    const problems = (error.details as { problems?: LoadProblem[] } | undefined)?.problems;
    if (Array.isArray(problems)) {
      // The first line says what was rejected ("policy bundle rejected", "Release file rejected").
      const what = error.message.split('\n')[0]!.replace(/( \(\d+ problems?\))?:$/, '');
      output.err(`error: ${what} (${problems.length} problem${problems.length === 1 ? '' : 's'})`);
      for (const problem of problems) output.err(formatProblem(problem));
    } else {
      output.err(`error: ${error.message}`);
    }
    return exitCodes.usage;
  }
  output.err(`internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  return exitCodes.usage;
}

/** Runs the CLI and resolves to the exit code (the binary sets process.exitCode from it). */
export async function main(argv: readonly string[], output: Output = processOutput): Promise<ExitCode> {
  let code: ExitCode = exitCodes.ok;
  const program = buildProgram(output, (next) => {
    code = next;
  });
  if (argv.length <= 2) {
    program.outputHelp();
    return exitCodes.usage;
  }
  try {
    await program.parseAsync([...argv]);
  } catch (error) {
    if (error instanceof CommanderError) {
      const helpOrVersion = error.code === 'commander.helpDisplayed' || error.code === 'commander.version';
      return helpOrVersion ? exitCodes.ok : exitCodes.usage;
    }
    return reportError(error, output);
  }
  return code;
}
