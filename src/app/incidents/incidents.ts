import { ArbiterError } from '../../core/errors.js';
import type { IdGenerator } from '../../core/ids.js';
import { actorRef, type Principal, requireRole, withAuthentication } from '../../identity/principal.js';
import type { IncidentSeverity } from '../../incidents/incident.js';
import type { NewLink } from '../../incidents/opening.js';
import type { IncidentFilter, IncidentRow } from '../../incidents/records.js';
import { linkTarget } from '../../incidents/targets.js';
import type { Store } from '../../store/store.js';
import type { OutcomeHook } from '../decisions/decisions.js';
import type { Ledger } from '../ledger/ledger.js';
import type { AlertFiredHook } from '../monitoring/evaluation.js';
import type { EventSink } from '../notifications/notifications.js';
import type { PolicyHolder } from '../policies/policies.js';
import { incidentEvent } from './notification-events.js';
import type { LinkIncidentRequest, OpenIncidentRequest, ResolveIncidentRequest } from './requests.js';
import { IncidentTriggers } from './triggers.js';
import { type IncidentView, incidentView } from './view.js';
import { IncidentWriter } from './writer.js';

export type { LinkIncidentRequest, OpenIncidentRequest, ResolveIncidentRequest } from './requests.js';

export const defaultIncidentSeverity: IncidentSeverity = 'sev3';

export interface IncidentServiceDeps {
  store: Store;
  ledger: Ledger;
  policies: PolicyHolder;
  sink: EventSink;
  clock: () => Date;
  ids: IdGenerator;
}

/**
 * Incidents: opened by people (approvers, admins, and agents about their own System) or by Arbiter
 * itself from a failed production outcome or a critical alert; linked to the decisions, gate runs,
 * alerts and deployments behind them; resolved once. Every change is a ledger entry written in the
 * transaction that makes it, and opening and resolving notify the System's owner team.
 */
export class IncidentService {
  private readonly writer: IncidentWriter;

  private readonly store: Store;
  private readonly ledger: Ledger;
  private readonly policies: PolicyHolder;
  private readonly sink: EventSink;
  private readonly clock: () => Date;

  constructor({ store, ledger, policies, sink, clock, ids }: IncidentServiceDeps) {
    this.store = store;
    this.ledger = ledger;
    this.policies = policies;
    this.sink = sink;
    this.clock = clock;
    this.writer = new IncidentWriter({ ledger, policies, sink, clock, ids });
  }

  /** Opens incidents from outcomes and alerts, inside the transactions that record them. */
  openAutomatically(sources: {
    decisions: { onOutcome(hook: OutcomeHook): void };
    monitoring: { onAlertFired(hook: AlertFiredHook): void };
  }): void {
    const triggers = new IncidentTriggers(this.writer, this.policies);
    sources.decisions.onOutcome((tx, decision, system) => triggers.afterOutcome(tx, decision, system));
    sources.monitoring.onAlertFired((tx, change, system, seq) =>
      triggers.afterAlertFired(tx, change, system, seq),
    );
  }

  async open(principal: Principal, body: OpenIncidentRequest): Promise<IncidentView> {
    requireRole(principal, 'agent', 'approver', 'admin');
    let systemId = body.system;
    if (principal.role === 'agent') {
      if (systemId !== undefined && systemId !== principal.systemId)
        throw new ArbiterError(
          'ARB_ERR_FORBIDDEN',
          `an agent opens incidents about its own System (${principal.systemId}) only`,
        );
      systemId = principal.systemId;
    }
    const links: NewLink[] = [];
    if (body.decision !== undefined) {
      const link = await linkTarget(this.store, principal, 'decision', body.decision);
      links.push(link);
      systemId ??= link.systemId;
    }
    return this.store.write(async (tx) => {
      const system = systemId === undefined ? undefined : await tx.getSystem(systemId);
      if (systemId !== undefined && !system)
        throw new ArbiterError('ARB_ERR_INCIDENT_SYSTEM_UNKNOWN', `no System ${systemId} is registered`);
      const { row, linkRows } = await this.writer.open(
        tx,
        {
          title: body.title,
          severity: body.severity ?? defaultIncidentSeverity,
          ...(system ? { systemId: system.id, system } : {}),
          ...(body.description ? { description: body.description } : {}),
          trigger: 'manual',
          openedBy: actorRef(principal),
          links,
        },
        principal,
      );
      return incidentView(row, linkRows);
    });
  }

  /** Incidents newest first; agents see their own System's only. */
  async list(principal: Principal, filter: IncidentFilter): Promise<IncidentView[]> {
    requireRole(principal, 'agent', 'approver', 'auditor', 'admin');
    if (principal.role === 'agent' && filter.systemId !== undefined && filter.systemId !== principal.systemId)
      return [];
    const scoped = principal.role === 'agent' ? { ...filter, systemId: principal.systemId! } : filter;
    return (await this.store.listIncidents(scoped)).map((row) => incidentView(row));
  }

  async get(principal: Principal, id: string): Promise<IncidentView> {
    const row = await this.visible(principal, id);
    return incidentView(row, await this.store.incidentLinks(id));
  }

  /** An incident the principal may read (agents: their own System's), or 404. */
  async visible(principal: Principal, id: string): Promise<IncidentRow> {
    requireRole(principal, 'agent', 'approver', 'auditor', 'admin');
    const row = await this.store.getIncident(id);
    if (!row || (principal.role === 'agent' && row.systemId !== principal.systemId))
      throw new ArbiterError('ARB_ERR_NOT_FOUND', `no incident ${id}`);
    return row;
  }

  /** Links a decision, gate run, alert or deployment. Linking the same thing twice changes nothing. */
  async link(
    principal: Principal,
    id: string,
    body: LinkIncidentRequest,
  ): Promise<{ incident: IncidentView; created: boolean }> {
    requireRole(principal, 'approver', 'admin');
    const target = await linkTarget(this.store, principal, body.kind, body.ref);
    return this.store.write(async (tx) => {
      const incident = await tx.getIncident(id);
      if (!incident) throw new ArbiterError('ARB_ERR_NOT_FOUND', `no incident ${id}`);
      const created = await this.writer.link(
        tx,
        incident,
        { ...target, ...(body.note ? { note: body.note } : {}) },
        actorRef(principal),
        principal,
      );
      return { incident: incidentView(incident, await tx.incidentLinks(id)), created };
    });
  }

  async resolve(principal: Principal, id: string, body: ResolveIncidentRequest): Promise<IncidentView> {
    requireRole(principal, 'approver', 'admin');
    const by = actorRef(principal);
    return this.store.write(async (tx) => {
      const incident = await tx.getIncident(id);
      if (!incident) throw new ArbiterError('ARB_ERR_NOT_FOUND', `no incident ${id}`);
      if (incident.status === 'resolved')
        throw new ArbiterError(
          'ARB_ERR_INCIDENT_RESOLVED',
          `incident ${id} was resolved by ${incident.resolvedBy} at ${incident.resolvedAt}`,
        );
      const now = this.clock();
      const [entry] = await this.ledger.log.append(tx.ledger, [
        withAuthentication(principal, {
          type: 'incident.resolved',
          actor: by,
          subject: id,
          data: {
            severity: incident.severity,
            system: incident.systemId ?? null,
            openedAt: incident.openedAt,
            durationMs: now.getTime() - Date.parse(incident.openedAt),
          },
          personal: { summary: body.summary },
        }),
      ]);
      await tx.resolveIncident(id, {
        by,
        at: now.toISOString(),
        summary: body.summary,
        ledgerIndex: entry!.seq,
      });
      const resolved = (await tx.getIncident(id))!;
      const links = await tx.incidentLinks(id);
      const system = resolved.systemId ? await tx.getSystem(resolved.systemId) : undefined;
      await this.sink.emit(tx, incidentEvent('incident.resolved', resolved, system, links));
      return incidentView(resolved, links);
    });
  }
}
