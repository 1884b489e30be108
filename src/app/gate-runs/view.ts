import { type Static, Type } from '@sinclair/typebox';
import type { GateRunRow, GateRunSummaryRow } from '../../store/records.js';
import { type GateRunReport, GateRunReportSchema } from './report.js';

export const GateRunViewSchema = Type.Object(
  {
    id: Type.String(),
    system: Type.String(),
    version: Type.String(),
    release: Type.String(),
    passed: Type.Boolean(),
    bundle: Type.String(),
    startedAt: Type.String(),
    recordedAt: Type.String(),
    recordedBy: Type.String(),
    reportSha256: Type.String({
      description: 'SHA-256 hex of the canonical JSON of the report; pinned by the ledger entry',
    }),
    ledgerIndex: Type.Number(),
    report: Type.Optional(GateRunReportSchema),
  },
  { additionalProperties: false, description: 'A recorded gate run; the report only when read by id' },
);
/** A gate run as the API returns it; `report` only for a single run. */
export type GateRunView = Static<typeof GateRunViewSchema>;

/** The API view of a stored gate run; a summary row (a list's) has no report. */
export function gateRunView(row: GateRunSummaryRow | GateRunRow): GateRunView {
  return {
    id: row.id,
    system: row.systemId,
    version: row.version,
    release: row.releaseName,
    passed: row.passed,
    bundle: row.bundle,
    startedAt: row.startedAt,
    recordedAt: row.recordedAt,
    recordedBy: row.recordedBy,
    reportSha256: row.reportSha256,
    ledgerIndex: row.ledgerIndex,
    // Stored as accepted by GateRunRequestSchema, without the idempotency key.
    ...('report' in row ? { report: row.report as unknown as GateRunReport } : {}),
  };
}
