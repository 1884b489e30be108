import { ArbiterError } from '../../core/errors.js';
import { type Principal, requireRole } from '../../identity/principal.js';
import type { PagedContact } from '../../incidents/paging.js';
import type { IncidentRow } from '../../incidents/records.js';
import type { Trace, TraceDecision, TraceDeployment } from '../../incidents/trace.js';
import type { Store } from '../../store/store.js';
import type { Ledger } from '../ledger/ledger.js';
import { LedgerProver } from '../ledger/proofs.js';
import type { PolicyHolder } from '../policies/policies.js';
import { iso, TraceBuilder } from './trace-builder.js';

const hourMs = 3_600_000;
/** Alerts this long before the first decision (or the opening) belong in the trace. */
const alertLookbackMs = 24 * hourMs;

export interface TraceServiceDeps {
  store: Store;
  ledger: Ledger;
  policies: PolicyHolder;
  clock: () => Date;
}

/**
 * The accountability trace of an incident or of one decision (see docs/incidents.md): assembled
 * from the records, each step proven against the latest signed checkpoint.
 */
export class TraceService {
  private readonly store: Store;
  private readonly ledger: Ledger;
  private readonly policies: PolicyHolder;
  private readonly clock: () => Date;

  constructor({ store, ledger, policies, clock }: TraceServiceDeps) {
    this.store = store;
    this.ledger = ledger;
    this.policies = policies;
    this.clock = clock;
  }

  async incident(principal: Principal, id: string): Promise<Trace> {
    requireRole(principal, 'approver', 'auditor', 'admin');
    const row = await this.store.getIncident(id);
    if (!row) throw new ArbiterError('ARB_ERR_NOT_FOUND', `no incident ${id}`);
    const links = await this.store.incidentLinks(id);
    const trace = await this.builder();
    if (row.systemId) trace.systems.add(row.systemId);
    const incident = await trace.incident(row, links);
    const decisions: TraceDecision[] = [];
    const deployments: TraceDeployment[] = [];
    for (const [i, link] of links.entries()) {
      const proven = incident.links[i]!;
      if (link.kind === 'decision') {
        const decision = await this.store.getDecision(link.ref);
        if (decision) decisions.push(await trace.decision(decision));
      } else if (link.kind === 'gate_run') await trace.gateRun(link.ref, 'linked');
      else if (link.kind === 'alert' && link.targetLedgerIndex !== undefined)
        await trace.alert(link.targetLedgerIndex, true);
      else if (link.kind === 'deployment')
        deployments.push({
          ref: link.ref,
          note: link.note ?? null,
          linkedBy: link.linkedBy,
          linkedAt: link.linkedAt,
          ledger: proven.ledger,
        });
    }
    const start = Math.min(Date.parse(row.openedAt), ...decisions.map((d) => Date.parse(d.createdAt)));
    const end = row.resolvedAt ? Date.parse(row.resolvedAt) : trace.now.getTime();
    await trace.alertsAround(iso(start - alertLookbackMs), iso(end));
    const paged = (system: string) =>
      system === row.systemId ? (row.paged as unknown as PagedContact) : undefined;
    return trace.finish({
      subject: { kind: 'incident', id },
      incident,
      decisions,
      deployments,
      accountability: await trace.accountability(row.systemId, paged, new Date(row.openedAt)),
    });
  }

  async decision(principal: Principal, id: string): Promise<Trace> {
    requireRole(principal, 'approver', 'auditor', 'admin');
    const row = await this.store.getDecision(id);
    if (!row) throw new ArbiterError('ARB_ERR_NOT_FOUND', `no decision ${id}`);
    const trace = await this.builder();
    const decision = await trace.decision(row);
    const end = Date.parse(row.outcome?.at ?? row.createdAt) + alertLookbackMs;
    await trace.alertsAround(
      iso(Date.parse(row.createdAt) - alertLookbackMs),
      iso(Math.min(end, trace.now.getTime())),
    );
    // Who answered for it: as recorded when an incident about it opened, else at its outcome.
    const incidents = (
      await Promise.all(decision.incidents.map((incident) => this.store.getIncident(incident)))
    ).filter((incident): incident is IncidentRow => incident !== undefined);
    const paged = (system: string) =>
      incidents.find((incident) => incident.systemId === system)?.paged as unknown as
        | PagedContact
        | undefined;
    return trace.finish({
      subject: { kind: 'decision', id },
      incident: null,
      decisions: [decision],
      deployments: [],
      accountability: await trace.accountability(
        row.systemId,
        paged,
        new Date(row.outcome?.at ?? row.createdAt),
      ),
    });
  }

  private async builder(): Promise<TraceBuilder> {
    return new TraceBuilder({
      store: this.store,
      prover: await LedgerProver.latest(this.ledger),
      bundle: this.policies.bundle,
      now: this.clock(),
    });
  }
}
