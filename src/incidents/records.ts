import type { JsonObject } from '../core/json.js';
import type { StoredEntry } from '../ledger/storage.js';
import type { IncidentLinkKind, IncidentSeverity, IncidentStatus, IncidentTrigger } from './incident.js';

/** Incident rows, shared by both stores (the tables of docs/incidents.md). Times are ISO 8601 UTC. */

export interface IncidentRow {
  id: string;
  title: string;
  severity: IncidentSeverity;
  status: IncidentStatus;
  systemId?: string;
  description?: string;
  trigger: IncidentTrigger;
  /** Automatic incidents: `decision:<id>` or `alert:<system>/<policy>/<alert>`; one open incident per key. */
  dedupKey?: string;
  /** The actor id of who opened it (`arbiter` for automatic incidents). */
  openedBy: string;
  openedAt: string;
  /** Who was paged when it opened (a PagedContact). */
  paged: JsonObject;
  /** The `incident.opened` entry. */
  ledgerIndex: number;
  resolvedBy?: string;
  resolvedAt?: string;
  resolution?: string;
  resolvedLedgerIndex?: number;
  updatedAt: string;
}

export interface IncidentLinkRow {
  incidentId: string;
  kind: IncidentLinkKind;
  /** Decision id, gate run id, `system/policy/alert#seq`, or a deployment's free-form reference. */
  ref: string;
  note?: string;
  /** The ledger entry of what is linked (decision.created, gate.run, alert.firing); none for deployments. */
  targetLedgerIndex?: number;
  linkedBy: string;
  linkedAt: string;
  /** The entry that recorded the link: `incident.opened` for links given at opening, else `incident.linked`. */
  ledgerIndex: number;
}

export interface IncidentFilter {
  status?: IncidentStatus;
  systemId?: string;
  severity?: IncidentSeverity;
  since?: string;
  /** Page after this incident (opened earlier than it). */
  before?: { openedAt: string; id: string };
  limit: number;
}

/** Ledger entries about one subject, optionally of some types and within [from, to] by entry time. */
export interface LedgerEntryFilter {
  subject: string;
  types?: readonly string[];
  from?: string;
  to?: string;
  /** Highest seq first (default: lowest first). */
  newestFirst?: boolean;
  limit: number;
}

export interface IncidentReads {
  getIncident(id: string): Promise<IncidentRow | undefined>;
  /** Incidents newest first (by opening time, then id). */
  listIncidents(filter: IncidentFilter): Promise<IncidentRow[]>;
  /** Links of an incident in the order they were made. */
  incidentLinks(incidentId: string): Promise<IncidentLinkRow[]>;
  /** Links, of any incident, to this decision, gate run, alert or deployment. */
  incidentsLinking(kind: IncidentLinkKind, ref: string): Promise<IncidentLinkRow[]>;
  openIncidentByDedupKey(key: string): Promise<IncidentRow | undefined>;
  ledgerEntriesAbout(filter: LedgerEntryFilter): Promise<StoredEntry[]>;
}

export interface IncidentWrites {
  /** Fails when an open incident already has the row's dedupKey. */
  insertIncident(row: IncidentRow): Promise<void>;
  /** Fails on a second link of the same kind and ref to one incident. */
  insertIncidentLink(row: IncidentLinkRow): Promise<void>;
  resolveIncident(
    id: string,
    resolution: { by: string; at: string; summary: string; ledgerIndex: number },
  ): Promise<void>;
}
