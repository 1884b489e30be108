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
import type { Row } from '../row-mapping.js';
import { LazyStatements, perConnection } from './statements.js';

/** The incident records of one SQLite connection (statements prepared once, on first use). */
export class SqliteIncidentRecords extends LazyStatements implements IncidentReads, IncidentWrites {
  async getIncident(id: string): Promise<IncidentRow | undefined> {
    const row = this.statement('SELECT * FROM incidents WHERE id = ?').get(id) as Row | undefined;
    return row ? incidentFrom(row) : undefined;
  }

  async listIncidents(filter: IncidentFilter): Promise<IncidentRow[]> {
    const { sql, params } = pageSql(incidentPage(filter), 'sqlite');
    return (this.db.prepare(sql).all(...params) as Row[]).map(incidentFrom);
  }

  async incidentLinks(incidentId: string): Promise<IncidentLinkRow[]> {
    return (
      this.statement(
        'SELECT * FROM incident_links WHERE incident_id = ? ORDER BY ledger_index, kind, ref',
      ).all(incidentId) as Row[]
    ).map(incidentLinkFrom);
  }

  async incidentsLinking(kind: IncidentLinkKind, ref: string): Promise<IncidentLinkRow[]> {
    return (
      this.statement('SELECT * FROM incident_links WHERE kind = ? AND ref = ? ORDER BY ledger_index').all(
        kind,
        ref,
      ) as Row[]
    ).map(incidentLinkFrom);
  }

  async openIncidentByDedupKey(key: string): Promise<IncidentRow | undefined> {
    const row = this.statement("SELECT * FROM incidents WHERE dedup_key = ? AND status = 'open'").get(key) as
      | Row
      | undefined;
    return row ? incidentFrom(row) : undefined;
  }

  async ledgerEntriesAbout(filter: LedgerEntryFilter): Promise<StoredEntry[]> {
    const where = ['subject = ?'];
    const params: unknown[] = [filter.subject];
    if (filter.types && filter.types.length > 0) {
      where.push('type IN (SELECT value FROM json_each(?))');
      params.push(JSON.stringify(filter.types));
    }
    if (filter.from) {
      where.push('time >= ?');
      params.push(filter.from);
    }
    if (filter.to) {
      where.push('time <= ?');
      params.push(filter.to);
    }
    const sql = `SELECT seq, time, type, actor, subject, entry, leaf_hash FROM ledger_entries WHERE ${where.join(' AND ')} ORDER BY seq ${filter.newestFirst ? 'DESC' : ''} LIMIT ?`;
    return (this.statement(sql).all(...params, filter.limit) as Row[]).map(ledgerEntryFrom);
  }

  async insertIncident(row: IncidentRow): Promise<void> {
    this.statement(
      `INSERT INTO incidents (${incidentColumns}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(...incidentValues(row));
  }

  async insertIncidentLink(row: IncidentLinkRow): Promise<void> {
    this.statement(`INSERT INTO incident_links (${incidentLinkColumns}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`).run(
      ...incidentLinkValues(row),
    );
  }

  async resolveIncident(
    id: string,
    resolution: { by: string; at: string; summary: string; ledgerIndex: number },
  ): Promise<void> {
    this.statement(
      "UPDATE incidents SET status = 'resolved', resolved_by = ?, resolved_at = ?, resolution = ?, resolved_ledger_index = ?, updated_at = ? WHERE id = ?",
    ).run(resolution.by, resolution.at, resolution.summary, resolution.ledgerIndex, resolution.at, id);
  }
}

export const sqliteIncidentRecords = perConnection((db) => new SqliteIncidentRecords(db));
