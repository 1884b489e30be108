/** A witness's cosignature of one of the log's checkpoints, as stored beside it. */
export interface CosignatureRow {
  /** The size of the checkpoint cosigned. */
  size: number;
  /** The witness's name (its key name, as in the signature line). */
  witness: string;
  /** The signature line, `— name base64`, without its newline. */
  line: string;
  /** The time the witness states it saw the checkpoint (POSIX seconds). */
  timestamp: number;
}

export interface CosignatureReads {
  /** Stored cosignatures, smallest size first, then by witness; with `size`, of that checkpoint only. */
  cosignatures(size?: number): Promise<CosignatureRow[]>;
  /** Per witness, the largest checkpoint size it cosigned. */
  newestCosignedSizes(): Promise<{ witness: string; size: number }[]>;
  /** The newest signed checkpoint (the one to submit to witnesses), without reading them all. */
  newestCheckpoint(): Promise<{ size: number; note: string } | undefined>;
}

export interface CosignatureWrites {
  /** Stores a cosignature; a second one by the same witness for the same size is ignored. */
  insertCosignature(row: CosignatureRow): Promise<void>;
}
