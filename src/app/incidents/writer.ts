import type { IdGenerator } from '../../core/ids.js';
import type { JsonObject, JsonValue } from '../../core/json.js';
import type { IncidentLinkKind, IncidentSeverity, IncidentTrigger } from '../../incidents/incident.js';
import { type OnCallSpec, pagedContact } from '../../incidents/paging.js';
import type { IncidentLinkRow, IncidentRow, SystemRow } from '../../store/records.js';
import type { StoreTransaction } from '../../store/store.js';
import type { Ledger } from '../ledger/ledger.js';
import type { EventSink } from '../notifications/notifications.js';
import type { PolicyHolder } from '../policies/policies.js';
import { ownerTeamOf } from '../systems/systems.js';
import { incidentEvent } from './notification-events.js';

/** A link about to be made: what it names, and the ledger entry of what it names. */
export interface NewLink {
  kind: IncidentLinkKind;
  ref: string;
  note?: string;
  targetLedgerIndex?: number;
  systemId?: string;
}

export interface NewIncident {
  title: string;
  severity: IncidentSeverity;
  systemId?: string;
  system?: SystemRow;
  description?: string;
  trigger: IncidentTrigger;
  dedupKey?: string;
  openedBy: string;
  links: NewLink[];
}

export interface IncidentWriterDeps {
  ledger: Ledger;
  policies: PolicyHolder;
  sink: EventSink;
  clock: () => Date;
  ids: IdGenerator;
}

/**
 * The writes of incidents inside a caller's transaction — rows, ledger entry and notification
 * together — shared by people's requests and the automatic triggers.
 */
export class IncidentWriter {
  private readonly ledger: Ledger;
  private readonly policies: PolicyHolder;
  private readonly sink: EventSink;
  private readonly clock: () => Date;
  private readonly ids: IdGenerator;

  constructor({ ledger, policies, sink, clock, ids }: IncidentWriterDeps) {
    this.ledger = ledger;
    this.policies = policies;
    this.sink = sink;
    this.clock = clock;
    this.ids = ids;
  }

  /**
   * Writes a new incident with its first links: the `incident.opened` entry (who was paged, the
   * links; the description and the paged person as personal data), the rows, the notification.
   */
  async open(
    tx: StoreTransaction,
    spec: NewIncident,
  ): Promise<{ row: IncidentRow; linkRows: IncidentLinkRow[] }> {
    const now = this.clock();
    const at = now.toISOString();
    const id = this.ids('inc');
    const bundle = this.policies.bundle;
    const paged = pagedContact({
      onCall: spec.system?.spec.onCall as OnCallSpec | undefined,
      ownerTeam: ownerTeamOf(spec.system),
      rotations: bundle.rotations,
      notifiers: bundle.notifiers,
      at: now,
    });
    const { person, ...pagedRecord } = paged;
    const personal: Record<string, JsonValue> = {
      ...(person ? { pagedPerson: person } : {}),
      ...(spec.description ? { description: spec.description } : {}),
    };
    const [entry] = await this.ledger.log.append(tx.ledger, [
      {
        type: 'incident.opened',
        actor: spec.openedBy,
        subject: id,
        data: JSON.parse(
          JSON.stringify({
            title: spec.title,
            severity: spec.severity,
            system: spec.systemId ?? null,
            trigger: spec.trigger,
            paged: pagedRecord,
            links: spec.links.map((link) => ({
              kind: link.kind,
              ref: link.ref,
              ledgerIndex: link.targetLedgerIndex ?? null,
            })),
          }),
        ) as JsonObject,
        ...(Object.keys(personal).length > 0 ? { personal } : {}),
      },
    ]);
    const row: IncidentRow = {
      id,
      title: spec.title,
      severity: spec.severity,
      status: 'open',
      ...(spec.systemId ? { systemId: spec.systemId } : {}),
      ...(spec.description ? { description: spec.description } : {}),
      trigger: spec.trigger,
      ...(spec.dedupKey ? { dedupKey: spec.dedupKey } : {}),
      openedBy: spec.openedBy,
      openedAt: at,
      paged: JSON.parse(JSON.stringify(paged)) as JsonObject,
      ledgerIndex: entry!.seq,
      updatedAt: at,
    };
    await tx.insertIncident(row);
    const linkRows = spec.links.map(
      (link): IncidentLinkRow => ({
        incidentId: id,
        kind: link.kind,
        ref: link.ref,
        ...(link.note ? { note: link.note } : {}),
        ...(link.targetLedgerIndex === undefined ? {} : { targetLedgerIndex: link.targetLedgerIndex }),
        linkedBy: spec.openedBy,
        linkedAt: at,
        ledgerIndex: entry!.seq,
      }),
    );
    for (const link of linkRows) await tx.insertIncidentLink(link);
    await this.sink.emit(tx, incidentEvent('incident.opened', row, spec.system, linkRows));
    return { row, linkRows };
  }

  /** Adds one link with its `incident.linked` entry; false when the incident already has it. */
  async link(tx: StoreTransaction, incident: IncidentRow, link: NewLink, by: string): Promise<boolean> {
    const existing = await tx.incidentLinks(incident.id);
    if (existing.some((other) => other.kind === link.kind && other.ref === link.ref)) return false;
    const now = this.clock().toISOString();
    const [entry] = await this.ledger.log.append(tx.ledger, [
      {
        type: 'incident.linked',
        actor: by,
        subject: incident.id,
        data: { kind: link.kind, ref: link.ref, ledgerIndex: link.targetLedgerIndex ?? null },
        ...(link.note ? { personal: { note: link.note } } : {}),
      },
    ]);
    await tx.insertIncidentLink({
      incidentId: incident.id,
      kind: link.kind,
      ref: link.ref,
      ...(link.note ? { note: link.note } : {}),
      ...(link.targetLedgerIndex === undefined ? {} : { targetLedgerIndex: link.targetLedgerIndex }),
      linkedBy: by,
      linkedAt: now,
      ledgerIndex: entry!.seq,
    });
    return true;
  }
}
