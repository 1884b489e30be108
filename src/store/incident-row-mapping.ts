import type { StoredEntry } from '../ledger/storage.js';
import type { IncidentLinkRow, IncidentRow } from './incident-records.js';
import type { Row } from './row-mapping.js';

/** Row mapping of the incident tables, shared by both stores (same column names). */

const text = (value: unknown) => (value === null || value === undefined ? undefined : (value as string));
const number = (value: unknown) => (value === null || value === undefined ? undefined : Number(value));

export function incidentFrom(row: Row): IncidentRow {
  const optional = {
    systemId: text(row.system_id),
    description: text(row.description),
    dedupKey: text(row.dedup_key),
    resolvedBy: text(row.resolved_by),
    resolvedAt: text(row.resolved_at),
    resolution: text(row.resolution),
    resolvedLedgerIndex: number(row.resolved_ledger_index),
  };
  return {
    id: row.id as string,
    title: row.title as string,
    severity: row.severity as IncidentRow['severity'],
    status: row.status as IncidentRow['status'],
    trigger: row.trigger_kind as IncidentRow['trigger'],
    openedBy: row.opened_by as string,
    openedAt: row.opened_at as string,
    paged: JSON.parse(row.paged as string),
    ledgerIndex: Number(row.ledger_index),
    updatedAt: row.updated_at as string,
    ...(Object.fromEntries(Object.entries(optional).filter(([, value]) => value !== undefined)) as Partial<
      typeof optional
    >),
  };
}

export function incidentLinkFrom(row: Row): IncidentLinkRow {
  const note = text(row.note);
  const target = number(row.target_ledger_index);
  return {
    incidentId: row.incident_id as string,
    kind: row.kind as IncidentLinkRow['kind'],
    ref: row.ref as string,
    ...(note === undefined ? {} : { note }),
    ...(target === undefined ? {} : { targetLedgerIndex: target }),
    linkedBy: row.linked_by as string,
    linkedAt: row.linked_at as string,
    ledgerIndex: Number(row.ledger_index),
  };
}

export function ledgerEntryFrom(row: Row): StoredEntry {
  return {
    seq: Number(row.seq),
    time: row.time as string,
    type: row.type as string,
    actor: row.actor as string,
    subject: row.subject as string,
    bytes: row.entry as Uint8Array,
    leafHash: row.leaf_hash as Uint8Array,
  };
}

/** The values of an incident row in column order (see incidentColumns). */
export function incidentValues(row: IncidentRow): unknown[] {
  return [
    row.id,
    row.title,
    row.severity,
    row.status,
    row.systemId ?? null,
    row.description ?? null,
    row.trigger,
    row.dedupKey ?? null,
    row.openedBy,
    row.openedAt,
    JSON.stringify(row.paged),
    row.ledgerIndex,
    row.resolvedBy ?? null,
    row.resolvedAt ?? null,
    row.resolution ?? null,
    row.resolvedLedgerIndex ?? null,
    row.updatedAt,
  ];
}

export const incidentColumns =
  'id, title, severity, status, system_id, description, trigger_kind, dedup_key, opened_by, opened_at, paged, ledger_index, resolved_by, resolved_at, resolution, resolved_ledger_index, updated_at';

export function incidentLinkValues(row: IncidentLinkRow): unknown[] {
  return [
    row.incidentId,
    row.kind,
    row.ref,
    row.note ?? null,
    row.targetLedgerIndex ?? null,
    row.linkedBy,
    row.linkedAt,
    row.ledgerIndex,
  ];
}

export const incidentLinkColumns =
  'incident_id, kind, ref, note, target_ledger_index, linked_by, linked_at, ledger_index';
