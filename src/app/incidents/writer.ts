import type { IdGenerator } from '../../core/ids.js';
import { type Principal, withAuthentication } from '../../identity/principal.js';
import {
  type NewIncident,
  type NewLink,
  newIncidentRow,
  newLinkRow,
  openedEntry,
} from '../../incidents/opening.js';
import { type OnCallSpec, pagedContact } from '../../incidents/paging.js';
import type { IncidentLinkRow, IncidentRow } from '../../incidents/records.js';
import { ownerTeamOf } from '../../registry/systems.js';
import type { StoreTransaction } from '../../store/store.js';
import type { Ledger } from '../ledger/ledger.js';
import type { EventSink } from '../notifications/notifications.js';
import type { PolicyHolder } from '../policies/policies.js';
import { incidentEvent } from './notification-events.js';

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
    /** The person who opened it by hand, whose sign-in the entry records. */
    principal?: Principal,
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
    const [entry] = await this.ledger.log.append(tx.ledger, [
      withAuthentication(principal, {
        type: 'incident.opened',
        actor: spec.openedBy,
        subject: id,
        ...openedEntry(spec, paged),
      }),
    ]);
    const row = newIncidentRow(spec, { id, at, paged, ledgerIndex: entry!.seq });
    await tx.insertIncident(row);
    const linkRows = spec.links.map((link) =>
      newLinkRow(id, link, { by: spec.openedBy, at, ledgerIndex: entry!.seq }),
    );
    for (const link of linkRows) await tx.insertIncidentLink(link);
    await this.sink.emit(tx, incidentEvent('incident.opened', row, spec.system, linkRows));
    return { row, linkRows };
  }

  /** Adds one link with its `incident.linked` entry; false when the incident already has it. */
  async link(
    tx: StoreTransaction,
    incident: IncidentRow,
    link: NewLink,
    by: string,
    principal?: Principal,
  ): Promise<boolean> {
    const existing = await tx.incidentLinks(incident.id);
    if (existing.some((other) => other.kind === link.kind && other.ref === link.ref)) return false;
    const now = this.clock().toISOString();
    const [entry] = await this.ledger.log.append(tx.ledger, [
      withAuthentication(principal, {
        type: 'incident.linked',
        actor: by,
        subject: incident.id,
        data: { kind: link.kind, ref: link.ref, ledgerIndex: link.targetLedgerIndex ?? null },
        ...(link.note ? { personal: { note: link.note } } : {}),
      }),
    ]);
    await tx.insertIncidentLink(newLinkRow(incident.id, link, { by, at: now, ledgerIndex: entry!.seq }));
    return true;
  }
}
