/**
 * The bounds a scan keeps to whatever a file claims: how far archives may inflate, how deep
 * containers may nest, how much a parser may track. Exceeding one is a finding, never a crash and
 * never a pass.
 */
export interface ScanLimits {
  /** Most bytes one archive member or compressed stream may inflate to. */
  maxInflatedBytes: number;
  /** Highest ratio of inflated to compressed bytes, checked once `ratioGraceBytes` have come out. */
  maxCompressionRatio: number;
  /** Output below this never trips the ratio: small, highly compressible members (zeros, text) are normal. */
  ratioGraceBytes: number;
  /** How many containers (archives, compressed streams, nested pickles) may sit inside each other. */
  maxNestingDepth: number;
  /** Most members one archive may list. */
  maxArchiveMembers: number;
  /** Largest header a parser reads whole (safetensors JSON, NumPy header dict). */
  maxHeaderBytes: number;
}

/** Defaults sized for real checkpoints: deflate tops out near 1032:1, so 200:1 past 16 MiB is a bomb. */
export const defaultScanLimits: Readonly<ScanLimits> = Object.freeze({
  maxInflatedBytes: 8 * 1024 ** 3,
  maxCompressionRatio: 200,
  ratioGraceBytes: 16 * 1024 ** 2,
  maxNestingDepth: 4,
  maxArchiveMembers: 100_000,
  maxHeaderBytes: 32 * 1024 ** 2,
});

/** Which limit a file ran into. */
export type LimitName =
  | 'inflated-size'
  | 'compression-ratio'
  | 'nesting-depth'
  | 'archive-members'
  | 'header-size'
  | 'pickle-complexity'
  | 'findings';

/** Thrown inside a scan when input exceeds a limit; the scanner turns it into a finding. */
export class LimitExceeded extends Error {
  override name = 'LimitExceeded';
  constructor(
    readonly limit: LimitName,
    message: string,
  ) {
    super(message);
  }
}
