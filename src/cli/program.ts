import { Command, CommanderError } from 'commander';
import { packageVersion } from '../app/version.js';
import { isArbiterError } from '../core/errors.js';
import { formatProblem, type LoadProblem } from '../policy/problems.js';
import { type ExitCode, exitCodes } from './exit-codes.js';
import type { Output } from './output.js';

type Run = (action: () => Promise<ExitCode> | ExitCode) => Promise<void>;
type Register = (program: Command, output: Output, run: Run) => void;

interface CommandModule {
  /** The top-level commands the module registers, in help order. */
  names: readonly string[];
  load: () => Promise<Register>;
}

// Each command's module (and what it imports: the server, the store, the policy engine, …) loads only
// when that command runs, so `arbiter hook` or `arbiter request` does not pay for `arbiter serve`.
// The order is the order of `arbiter --help`.
const commandModules: readonly CommandModule[] = [
  { names: ['policy'], load: async () => (await import('./policy.js')).registerPolicyCommands },
  { names: ['ledger'], load: async () => (await import('./ledger.js')).registerLedgerCommands },
  { names: ['serve'], load: async () => (await import('./serve.js')).registerServeCommand },
  { names: ['tokens'], load: async () => (await import('./tokens.js')).registerTokenCommands },
  {
    names: ['request', 'decisions', 'approve', 'reject', 'systems'],
    load: async () => (await import('./remote.js')).registerRemoteCommands,
  },
  {
    names: ['login', 'logout', 'whoami'],
    load: async () => (await import('./login.js')).registerLoginCommands,
  },
  { names: ['db'], load: async () => (await import('./db.js')).registerDbCommands },
  { names: ['mcp'], load: async () => (await import('./mcp.js')).registerMcpCommands },
  { names: ['exec'], load: async () => (await import('./exec.js')).registerExecCommand },
  { names: ['hook'], load: async () => (await import('./hook.js')).registerHookCommands },
  { names: ['scan'], load: async () => (await import('./scan.js')).registerScanCommand },
  { names: ['gate'], load: async () => (await import('./gate.js')).registerGateCommand },
  { names: ['bom'], load: async () => (await import('./bom.js')).registerBomCommands },
  { names: ['monitor'], load: async () => (await import('./monitor.js')).registerMonitorCommands },
  { names: ['data'], load: async () => (await import('./data.js')).registerDataCommands },
  {
    names: ['incident', 'trace', 'postmortem'],
    load: async () => (await import('./incident.js')).registerIncidentCommands,
  },
  { names: ['report'], load: async () => (await import('./report.js')).registerReportCommand },
  { names: ['redteam'], load: async () => (await import('./redteam.js')).registerRedteamCommand },
];

/** Every top-level command name, in help order. */
export const commandNames: readonly string[] = commandModules.flatMap((module) => module.names);

/**
 * The modules a command line needs: the one that owns its command, or all of them when the line
 * asks for help, names no command or names an unknown one (commander then lists or suggests commands).
 */
function modulesFor(args: readonly string[]): readonly CommandModule[] {
  const owner = commandModules.find((module) => module.names.includes(args[0] ?? ''));
  return owner ? [owner] : commandModules;
}

/** Builds the `arbiter` command tree with the commands `args` (argv without node and script) need. */
export async function buildProgram(
  output: Output,
  setExit: (code: ExitCode) => void,
  args: readonly string[] = [],
): Promise<Command> {
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

  const run: Run = async (action) => {
    try {
      setExit(await action());
    } catch (error) {
      setExit(reportError(error, output));
    }
  };
  const modules = modulesFor(args);
  const registers = await Promise.all(modules.map((module) => module.load()));
  for (const register of registers) register(program, output, run);
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

/** Parses and runs a full command line through commander. */
export async function runProgram(argv: readonly string[], output: Output): Promise<ExitCode> {
  let code: ExitCode = exitCodes.ok;
  const program = await buildProgram(
    output,
    (next) => {
      code = next;
    },
    argv.slice(2),
  );
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
