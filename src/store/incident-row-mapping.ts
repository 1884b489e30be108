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
