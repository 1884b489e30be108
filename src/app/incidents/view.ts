import type { IncidentLinkView, IncidentView } from '../../incidents/incident.js';
import type { IncidentLinkRow, IncidentRow } from '../../store/records.js';

export type { IncidentLinkView, IncidentView } from '../../incidents/incident.js';

export function incidentLinkView(link: IncidentLinkRow): IncidentLinkView {
  return {
    kind: link.kind,
    ref: link.ref,
    note: link.note ?? null,
    targetLedgerIndex: link.targetLedgerIndex ?? null,
    linkedBy: link.linkedBy,
    linkedAt: link.linkedAt,
    ledgerIndex: link.ledgerIndex,
  };
}

export function incidentView(row: IncidentRow, links?: readonly IncidentLinkRow[]): IncidentView {
  return {
    id: row.id,
    title: row.title,
    severity: row.severity,
    status: row.status,
    system: row.systemId ?? null,
    description: row.description ?? null,
    trigger: row.trigger,
    openedBy: row.openedBy,
    openedAt: row.openedAt,
    paged: row.paged as unknown as IncidentView['paged'],
    ledgerIndex: row.ledgerIndex,
    resolvedBy: row.resolvedBy ?? null,
    resolvedAt: row.resolvedAt ?? null,
    resolution: row.resolution ?? null,
    resolvedLedgerIndex: row.resolvedLedgerIndex ?? null,
    ...(links ? { links: links.map(incidentLinkView) } : {}),
  };
}
