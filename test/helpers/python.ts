import { spawnSync } from 'node:child_process';

/** True when python3 is on this machine (the scanner tests build real pickles with it). */
export const hasPython = spawnSync('python3', ['-c', 'import pickle'], { encoding: 'utf8' }).status === 0;

/** Runs a Python snippet that writes bytes to stdout (sys.stdout.buffer) and returns them. */
export function pythonBytes(code: string): Uint8Array {
  const result = spawnSync('python3', ['-c', code], { maxBuffer: 64 * 1024 * 1024 });
  if (result.status !== 0) throw new Error(`python3 failed: ${result.stderr.toString()}`);
  return new Uint8Array(result.stdout);
}
