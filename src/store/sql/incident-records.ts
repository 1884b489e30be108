import type { Kysely } from 'kysely';
import type { IncidentLinkKind } from '../../incidents/incident.js';
import type { StoredEntry } from '../../ledger/storage.js';
import type {
  IncidentFilter,
  IncidentLinkRow,
  IncidentReads,
  IncidentRow,
  IncidentWrites,
  LedgerEntryFilter,
} from '../incident-records.js';
import { incidentFrom, incidentLinkFrom, ledgerEntryFrom } from '../incident-row-mapping.js';
import type { SqlDialect } from './dialect.js';
import type { Database } from './schema.js';

/** The incident records, written once for both databases. */
export class SqlIncidentRecords implements IncidentReads, IncidentWrites {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly dialect: SqlDialect,
  ) {}

  async getIncident(id: string): Promise<IncidentRow | undefined> {
    const row = await this.db.selectFrom('incidents').selectAll().where('id', '=', id).executeTakeFirst();
    return row && incidentFrom(row);
  }

  /** Newest first; the cursor is the last row of the previous page, compared as a row value. */
  async listIncidents(filter: IncidentFilter): Promise<IncidentRow[]> {
    const { before } = filter;
    const rows = await this.db
      .selectFrom('incidents')
      .selectAll()
      .$if(Boolean(filter.status), (q) => q.where('status', '=', filter.status!))
      .$if(Boolean(filter.systemId), (q) => q.where('system_id', '=', filter.systemId!))
      .$if(Boolean(filter.severity), (q) => q.where('severity', '=', filter.severity!))
      .$if(Boolean(filter.since), (q) => q.where('opened_at', '>=', filter.since!))
      .$if(before !== undefined, (q) =>
        q.where((eb) => eb(eb.refTuple('opened_at', 'id'), '<', eb.tuple(before!.openedAt, before!.id))),
      )
      .orderBy('opened_at', 'desc')
      .orderBy('id', 'desc')
      .limit(filter.limit)
      .execute();
    return rows.map(incidentFrom);
  }

  async incidentLinks(incidentId: string): Promise<IncidentLinkRow[]> {
    const rows = await this.db
      .selectFrom('incident_links')
      .selectAll()
      .where('incident_id', '=', incidentId)
      .orderBy('ledger_index')
      .orderBy('kind')
      .orderBy('ref')
      .execute();
    return rows.map(incidentLinkFrom);
  }

  async incidentsLinking(kind: IncidentLinkKind, ref: string): Promise<IncidentLinkRow[]> {
    const rows = await this.db
      .selectFrom('incident_links')
      .selectAll()
      .where('kind', '=', kind)
      .where('ref', '=', ref)
      .orderBy('ledger_index')
      .execute();
    return rows.map(incidentLinkFrom);
  }

  async openIncidentByDedupKey(key: string): Promise<IncidentRow | undefined> {
    const row = await this.db
      .selectFrom('incidents')
      .selectAll()
      .where('dedup_key', '=', key)
      .where('status', '=', 'open')
      .executeTakeFirst();
    return row && incidentFrom(row);
  }

  async ledgerEntriesAbout(filter: LedgerEntryFilter): Promise<StoredEntry[]> {
    const types = filter.types ?? [];
    const rows = await this.db
      .selectFrom('ledger_entries')
      .select(['seq', 'time', 'type', 'actor', 'subject', 'entry', 'leaf_hash'])
      .where('subject', '=', filter.subject)
      .$if(types.length > 0, (q) => q.where(this.dialect.inList('type', types, 'text')))
      .$if(Boolean(filter.from), (q) => q.where('time', '>=', filter.from!))
      .$if(Boolean(filter.to), (q) => q.where('time', '<=', filter.to!))
      .orderBy('seq', filter.newestFirst ? 'desc' : 'asc')
      .limit(filter.limit)
      .execute();
    return rows.map(ledgerEntryFrom);
  }

  async insertIncident(row: IncidentRow): Promise<void> {
    await this.db
      .insertInto('incidents')
      .values({
        id: row.id,
        title: row.title,
        severity: row.severity,
        status: row.status,
        system_id: row.systemId ?? null,
        description: row.description ?? null,
        trigger_kind: row.trigger,
        dedup_key: row.dedupKey ?? null,
        opened_by: row.openedBy,
        opened_at: row.openedAt,
        paged: JSON.stringify(row.paged),
        ledger_index: row.ledgerIndex,
        resolved_by: row.resolvedBy ?? null,
        resolved_at: row.resolvedAt ?? null,
        resolution: row.resolution ?? null,
        resolved_ledger_index: row.resolvedLedgerIndex ?? null,
        updated_at: row.updatedAt,
      })
      .execute();
  }

  async insertIncidentLink(row: IncidentLinkRow): Promise<void> {
    await this.db
      .insertInto('incident_links')
      .values({
        incident_id: row.incidentId,
        kind: row.kind,
        ref: row.ref,
        note: row.note ?? null,
        target_ledger_index: row.targetLedgerIndex ?? null,
        linked_by: row.linkedBy,
        linked_at: row.linkedAt,
        ledger_index: row.ledgerIndex,
      })
      .execute();
  }

  async resolveIncident(
    id: string,
    resolution: { by: string; at: string; summary: string; ledgerIndex: number },
  ): Promise<void> {
    await this.db
      .updateTable('incidents')
      .set({
        status: 'resolved',
        resolved_by: resolution.by,
        resolved_at: resolution.at,
        resolution: resolution.summary,
        resolved_ledger_index: resolution.ledgerIndex,
        updated_at: resolution.at,
      })
      .where('id', '=', id)
      .execute();
  }
}
