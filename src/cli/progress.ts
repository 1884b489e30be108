import type { Progress } from '../supply/reader.js';

/** Files at least this large show progress; smaller ones finish before a person would look. */
export const progressThresholdBytes = 256 * 1024 * 1024;

/** A stream progress can be drawn on: a terminal's standard error, or a test's stand-in. */
export interface ProgressStream {
  isTTY?: boolean;
  write(text: string): unknown;
}

const gib = (bytes: number) => `${(bytes / 1024 ** 3).toFixed(2)} GiB`;

/**
 * A progress line for a long pass over `label`, redrawn in place at each whole percent, or
 * undefined when `stream` is not a terminal (CI logs and pipes stay clean). Call `done` to clear it.
 */
export function terminalProgress(
  label: string,
  stream: ProgressStream,
): { progress: Progress; done: () => void } | undefined {
  if (!stream.isTTY) return undefined;
  let shown = -1;
  return {
    progress(done, total) {
      const percent = total === 0 ? 100 : Math.floor((done / total) * 100);
      if (percent === shown) return;
      shown = percent;
      stream.write(`\r\x1b[K  reading ${label}  ${gib(done)} of ${gib(total)} (${percent}%)`);
    },
    done() {
      if (shown >= 0) stream.write('\r\x1b[K');
    },
  };
}

/**
 * Progress for each file a long command reads: a line on a terminal for files of at least
 * progressThresholdBytes, nothing for smaller files, pipes, CI logs or `--json` (stream undefined).
 */
export function largeFileProgress(stream: ProgressStream | undefined) {
  return (label: string, sizeBytes: number) =>
    stream && sizeBytes >= progressThresholdBytes ? terminalProgress(label, stream) : undefined;
}
