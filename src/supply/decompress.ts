import { Gunzip, Inflate, Unzlib } from 'fflate';
import { bzip2Decoder } from './bzip2.js';
import { LimitExceeded, type ScanLimits } from './limits.js';
import { lzmaAloneDecoder, xzDecoder } from './lzma.js';

/**
 * Streaming decompression with limits: compressed bytes go in a little at a time, and the output
 * is counted as it comes out, so a bomb is stopped after a few megabytes instead of after it has
 * filled memory. Every decoder is push-style and synchronous (fflate for DEFLATE, Arbiter's own
 * for bzip2, LZMA and xz, which no streaming JavaScript library decodes in bounded memory).
 */

export const compressions = ['deflate', 'zlib', 'gzip', 'bzip2', 'xz', 'lzma'] as const;
export type Compression = (typeof compressions)[number];

/** A push-style decoder: compressed bytes in, decompressed chunks out through the emit callback. */
export interface StreamDecoder {
  /** Decodes what it can of `chunk`; `final` says no more input follows. Throws on corrupt data. */
  push(chunk: Uint8Array, final: boolean): void;
}

type DecoderFactory = (emit: (chunk: Uint8Array) => void) => StreamDecoder;

const decoders: Record<Compression, DecoderFactory> = {
  deflate: (emit) => new Inflate((chunk) => emit(chunk)),
  zlib: (emit) => new Unzlib((chunk) => emit(chunk)),
  gzip: (emit) => new Gunzip((chunk) => emit(chunk)),
  bzip2: bzip2Decoder,
  xz: xzDecoder,
  lzma: lzmaAloneDecoder,
};

/** Compressed data that does not decode (corrupt, truncated, or an unsupported variant). */
export class CorruptCompressedData extends Error {
  override name = 'CorruptCompressedData';
}

/** Compressed input is fed in pieces this small so one push cannot emit more than ~16 MiB (deflate's 1032:1). */
const pushBytes = 16 * 1024;

/**
 * The decompressed bytes of `input`, in chunks. Throws LimitExceeded when the output passes
 * `limits.maxInflatedBytes` or the inflated/compressed ratio passes `limits.maxCompressionRatio`,
 * and CorruptCompressedData when the input does not decode to its end.
 */
export async function* decompressChunks(
  input: AsyncIterable<Uint8Array>,
  compression: Compression,
  limits: ScanLimits,
): AsyncGenerator<Uint8Array> {
  let consumed = 0;
  let produced = 0;
  const ready: Uint8Array[] = [];
  const decoder = decoders[compression]((chunk) => {
    if (chunk.length === 0) return;
    produced += chunk.length;
    if (produced > limits.maxInflatedBytes)
      throw new LimitExceeded(
        'inflated-size',
        `inflates past the ${limits.maxInflatedBytes}-byte limit (${compression})`,
      );
    if (produced > limits.ratioGraceBytes && produced / Math.max(1, consumed) > limits.maxCompressionRatio)
      throw new LimitExceeded(
        'compression-ratio',
        `inflates more than ${limits.maxCompressionRatio}:1 (${produced} bytes from ${consumed}, ${compression}): a decompression bomb`,
      );
    ready.push(chunk);
  });
  /** What went wrong in the last push; the output decoded before it is handed out first. */
  let failure: Error | undefined;
  const push = (piece: Uint8Array, final: boolean) => {
    try {
      decoder.push(piece, final);
    } catch (error) {
      failure =
        error instanceof LimitExceeded
          ? error
          : new CorruptCompressedData(
              `${compression} data does not decode: ${error instanceof Error ? error.message : String(error)}`,
            );
    }
  };
  for await (const chunk of input) {
    for (let at = 0; at < chunk.length; at += pushBytes) {
      const piece = chunk.subarray(at, at + pushBytes);
      consumed += piece.length;
      push(piece, false);
      while (ready.length > 0) yield ready.shift()!;
      if (failure) throw failure;
    }
  }
  push(new Uint8Array(0), true);
  while (ready.length > 0) yield ready.shift()!;
  if (failure) throw failure;
}
