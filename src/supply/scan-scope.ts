import type { ScanFinding } from './findings.js';
import type { ScanLimits } from './limits.js';
import type { RandomAccessReader } from './reader.js';

/**
 * What a format scanner is handed: where findings go, the limits, how deep it sits inside other
 * containers, and a way to scan bytes it finds inside (archive members, nested pickles) as files of
 * their own — which keeps the format scanners independent of the dispatcher in scan.ts.
 */
export interface ScanScope {
  limits: ScanLimits;
  /** 0 for a file, 1 for a member of it, and so on. */
  depth: number;
  report(finding: ScanFinding): void;
  /** Scans `reader` as a file named `file` one level deeper (format detected from its content). */
  scanInner(file: string, reader: RandomAccessReader): Promise<void>;
}

/** How many findings one file may collect before the rest are summarised as one. */
export const maxFindingsPerFile = 10_000;
