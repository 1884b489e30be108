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
import {
  incidentColumns,
  incidentFrom,
  incidentLinkColumns,
  incidentLinkFrom,
  incidentLinkValues,
  incidentValues,
  ledgerEntryFrom,
} from '../incident-row-mapping.js';
import { incidentPage, pageSql } from '../page-query.js';
import type { Queryable } from './records.js';

const placeholders = (count: number) => Array.from({ length: count }, (_, i) => `$${i + 1}`).join(', ');

/** The incident records over one PostgreSQL connection or transaction. */
export class PgIncidentRecords implements IncidentReads, IncidentWrites {
  constructor(private readonly db: Queryable) {}

  async getIncident(id: string): Promise<IncidentRow | undefined> {
    const { rows } = await this.db.query('SELECT * FROM incidents WHERE id = $1', [id]);
    return rows[0] ? incidentFrom(rows[0]) : undefined;
  }

  async listIncidents(filter: IncidentFilter): Promise<IncidentRow[]> {
    const { sql, params } = pageSql(incidentPage(filter), 'postgres');
    return (await this.db.query(sql, params)).rows.map(incidentFrom);
  }

  async incidentLinks(incidentId: string): Promise<IncidentLinkRow[]> {
    const { rows } = await this.db.query(
      'SELECT * FROM incident_links WHERE incident_id = $1 ORDER BY ledger_index, kind, ref',
      [incidentId],
    );
    return rows.map(incidentLinkFrom);
  }

  async incidentsLinking(kind: IncidentLinkKind, ref: string): Promise<IncidentLinkRow[]> {
    const { rows } = await this.db.query(
      'SELECT * FROM incident_links WHERE kind = $1 AND ref = $2 ORDER BY ledger_index',
      [kind, ref],
    );
    return rows.map(incidentLinkFrom);
  }

  async openIncidentByDedupKey(key: string): Promise<IncidentRow | undefined> {
    const { rows } = await this.db.query("SELECT * FROM incidents WHERE dedup_key = $1 AND status = 'open'", [
      key,
    ]);
    return rows[0] ? incidentFrom(rows[0]) : undefined;
  }

  async ledgerEntriesAbout(filter: LedgerEntryFilter): Promise<StoredEntry[]> {
    const params: unknown[] = [filter.subject];
    const where = ['subject = $1'];
    if (filter.types && filter.types.length > 0) {
      params.push(filter.types);
      where.push(`type = ANY($${params.length}::text[])`);
    }
    if (filter.from) {
      params.push(filter.from);
      where.push(`time >= $${params.length}`);
    }
    if (filter.to) {
      params.push(filter.to);
      where.push(`time <= $${params.length}`);
    }
    params.push(filter.limit);
    const { rows } = await this.db.query(
      `SELECT seq, time, type, actor, subject, entry, leaf_hash FROM ledger_entries WHERE ${where.join(' AND ')} ORDER BY seq ${filter.newestFirst ? 'DESC' : ''} LIMIT $${params.length}`,
      params,
    );
    return rows.map(ledgerEntryFrom);
  }

  async insertIncident(row: IncidentRow): Promise<void> {
    await this.db.query(
      `INSERT INTO incidents (${incidentColumns}) VALUES (${placeholders(17)})`,
      incidentValues(row),
    );
  }

  async insertIncidentLink(row: IncidentLinkRow): Promise<void> {
    await this.db.query(
      `INSERT INTO incident_links (${incidentLinkColumns}) VALUES (${placeholders(8)})`,
      incidentLinkValues(row),
    );
  }

  async resolveIncident(
    id: string,
    resolution: { by: string; at: string; summary: string; ledgerIndex: number },
  ): Promise<void> {
    await this.db.query(
      "UPDATE incidents SET status = 'resolved', resolved_by = $1, resolved_at = $2, resolution = $3, resolved_ledger_index = $4, updated_at = $2 WHERE id = $5",
      [resolution.by, resolution.at, resolution.summary, resolution.ledgerIndex, id],
    );
  }
}
