import type { JsonObject } from '../core/json.js';

/**
 * Recorded CI gate runs as the stores keep them, and the ports that read and write them
 * (implemented by `store/`). Times are ISO 8601 UTC strings (`Date#toISOString`).
 */

/** A recorded CI gate run: the columns lists filter on, without the report itself. */
export interface GateRunSummaryRow {
  id: string;
  systemId: string;
  version: string;
  releaseName: string;
  passed: boolean;
  /** `sha256:<hex>` of the policy bundle the gate evaluated (the CI's, not necessarily the server's). */
  bundle: string;
  startedAt: string;
  recordedAt: string;
  /** The actor id of the recording token (a System id for agents). */
  recordedBy: string;
  idempotencyKey?: string;
  /** SHA-256 hex of the report's canonical JSON; the ledger entry carries the same value. */
  reportSha256: string;
  ledgerIndex: number;
}

/** A recorded gate run with the full report (what `arbiter gate` produced, without the idempotency key). */
export interface GateRunRow extends GateRunSummaryRow {
  report: JsonObject;
}

export interface GateRunFilter {
  systemId?: string;
  version?: string;
  /** Page after this run (recorded earlier than it). */
  before?: { recordedAt: string; id: string };
  limit: number;
}

export interface GateRunReads {
  gateRun(id: string): Promise<GateRunRow | undefined>;
  /** Gate runs newest first (by recording time, then id). */
  gateRuns(filter: GateRunFilter): Promise<GateRunSummaryRow[]>;
  gateRunByIdempotencyKey(recordedBy: string, key: string): Promise<GateRunSummaryRow | undefined>;
}

export interface GateRunWrites {
  /** Fails on a second run with the same (recordedBy, idempotencyKey). */
  insertGateRun(row: GateRunRow): Promise<void>;
}
