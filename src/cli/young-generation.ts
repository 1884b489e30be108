import { spawn } from 'node:child_process';

// `arbiter serve` runs with a larger young generation than V8's default (issue 22): each verdict
// allocates ~19 KB, and with V8's 16 MB semi-spaces every scavenge promotes the verdicts in flight,
// which brings old-generation marking every second or so under load — the slow tail of a verdict.
// V8 sizes its heap when the process starts (`v8.setFlagsFromString('--max-semi-space-size=…')`
// afterwards changes nothing: measured in docs/benchmarks.md), so bin/arbiter.js starts `serve` in a
// second node process with the flag. Only `serve` pays that start; every other command runs as is.

/** Semi-space size (MB) `arbiter serve` asks V8 for unless told otherwise. */
export const defaultServeSemiSpaceMb = 32;

/** The serve flag and the environment variable that change it; 0 keeps V8's own default. */
export const semiSpaceFlag = '--semi-space-mb';
export const semiSpaceEnv = 'ARBITER_SEMI_SPACE_MB';

/** Largest size accepted: above it the young generation costs memory for no measured gain. */
const largestSemiSpaceMb = 256;

/** Node/V8 flags that already size the young generation: an operator's own choice wins. */
const sizingFlag = /(^|\s)--(max|min)[-_]semi[-_]space[-_]size\b/;

/**
 * Node flags that attach a debugger or profiler to the process they are given to: the server must be
 * that process (a relaunched one would open the same inspector port again, or profile a launcher;
 * with --inspect-port, SIGUSR1 to the PID an operator knows would open the launcher's inspector).
 */
const attachingFlag = /(^|\s)--(inspect(-brk|-wait|-port)?|cpu-prof|heap-prof|prof)(=|\s|$)/;

/** Marks the relaunched server, so that it stops when the process that started it is gone. */
const relaunchedEnv = 'ARBITER_SERVE_RELAUNCHED';

/**
 * The semi-space size (MB) asked for by `--semi-space-mb` in `args` (serve's arguments) or by
 * $ARBITER_SEMI_SPACE_MB, else the default. Throws a message for a value that is not a whole
 * number from 0 to 256.
 */
export function requestedSemiSpaceMb(
  args: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): number {
  let text: string | undefined;
  let source = `$${semiSpaceEnv}`;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--') break;
    if (arg === semiSpaceFlag) text = args[i + 1] ?? '';
    else if (arg.startsWith(`${semiSpaceFlag}=`)) text = arg.slice(semiSpaceFlag.length + 1);
    else continue;
    source = semiSpaceFlag;
  }
  text ??= env[semiSpaceEnv];
  if (text === undefined || text === '') return defaultServeSemiSpaceMb;
  const value = Number(text);
  if (!/^\d{1,4}$/.test(text) || value > largestSemiSpaceMb)
    throw new Error(`${source} ${text} must be a whole number of MB from 0 to ${largestSemiSpaceMb}`);
  return value;
}

/**
 * The node flags `arbiter serve ARGS` must be started with, or undefined when this process can
 * serve as it is: the size is 0, node was already given a semi-space size or a debugger or profiler
 * (on its command line or in NODE_OPTIONS), help was asked for, or the value is invalid (serve itself
 * then reports it).
 */
export function serveNodeFlags(
  args: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
  execArgv: readonly string[],
): string[] | undefined {
  if (args.includes('--help') || args.includes('-h')) return undefined;
  const nodeFlags = [...execArgv, env.NODE_OPTIONS ?? ''];
  if (nodeFlags.some((flag) => sizingFlag.test(flag) || attachingFlag.test(flag))) return undefined;
  let size: number;
  try {
    size = requestedSemiSpaceMb(args, env);
  } catch {
    return undefined;
  }
  return size === 0 ? undefined : [`--max-semi-space-size=${size}`];
}

/**
 * Runs this command again in a child node with `flags` added and resolves to its exit code. The child
 * has its own process group, so a terminal's Ctrl-C reaches it once, through this process, which
 * forwards SIGINT, SIGTERM and SIGHUP; if this process dies without forwarding (SIGKILL), the child
 * sees its IPC channel close and ends the same way. A child killed by a signal is reported by
 * this process dying of the same signal.
 */
export function relaunch(flags: readonly string[]): Promise<number> {
  const child = spawn(process.execPath, [...process.execArgv, ...flags, ...process.argv.slice(1)], {
    stdio: ['inherit', 'inherit', 'inherit', 'ipc'],
    // Windows would give a detached child a console of its own; it has no process groups to leave.
    detached: process.platform !== 'win32',
    env: { ...process.env, [relaunchedEnv]: '1' },
  });
  const forward = (signal: NodeJS.Signals) => () => child.kill(signal);
  const handlers = (['SIGINT', 'SIGTERM', 'SIGHUP'] as const).map(
    (signal) => [signal, forward(signal)] as const,
  );
  for (const [signal, handler] of handlers) process.on(signal, handler);
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      for (const [name, handler] of handlers) process.off(name, handler);
      if (signal) process.kill(process.pid, signal);
      resolve(code ?? 1);
    });
  });
}

/**
 * In a relaunched server: end as the launching process did once it is gone. It forwards every signal
 * it can handle, so it is gone without a word only when killed outright (SIGKILL): the server ends
 * the same way, as `kill -9` of the one process did. A graceful stop instead lasted as long as the
 * slowest request in flight (up to the request timeout), a server nobody could signal any more
 * while a supervisor restarted another on the same database. Acknowledged decisions are committed
 * (the crash-safety tests).
 */
export function followLauncher(): void {
  if (process.env[relaunchedEnv] !== '1' || !process.channel) return;
  delete process.env[relaunchedEnv];
  process.channel.unref();
  process.once('disconnect', () => process.kill(process.pid, 'SIGKILL'));
}

/**
 * What this process's young generation was sized by, with V8's heap limit (which counts the young
 * generation, so it moves with the semi-space size): the line `arbiter serve` prints at start.
 */
export function youngGenerationSummary(
  execArgv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
  heapSizeLimit: number,
): string {
  const given = [...execArgv, ...(env.NODE_OPTIONS ?? '').split(/\s+/)].filter((flag) =>
    sizingFlag.test(flag),
  );
  const sizing = given.length > 0 ? given.join(' ') : "V8's default semi-space";
  return `${sizing}; V8 heap limit ${Math.round(heapSizeLimit / 2 ** 20)} MB`;
}
