import { decisionMismatches, recordedDecision } from '../../decisions/ledger-state.js';
import type { DecisionRow } from '../../decisions/records.js';
import { actorName } from '../../identity/actor-ref.js';
import { parseAlertRef } from '../../incidents/incident.js';
import { type OnCallSpec, type PagedContact, pagedContact } from '../../incidents/paging.js';
import type { IncidentLinkRow, IncidentRow } from '../../incidents/records.js';
import { describeEntry } from '../../incidents/timeline.js';
import {
  type LedgerProof,
  type TimelineEvent,
  type Trace,
  type TraceAccountability,
  type TraceAlert,
  type TraceDecision,
  type TraceGateRun,
  type TraceIncident,
  type TraceIncidentLink,
  type TraceRelease,
  type TraceRule,
  traceFormat,
} from '../../incidents/trace.js';
import { replayRequest } from '../../incidents/what-if.js';
import type { LedgerEntry } from '../../ledger/entry.js';
import type { PolicyBundle } from '../../policy/bundle.js';
import type { Actor } from '../../policy/evaluate-action.js';
import type { ActionRequest } from '../../policy/request.js';
import { stateOf } from '../../registry/autonomy-state.js';
import { ownerTeamOf } from '../../registry/systems.js';
import type { Store } from '../../store/store.js';
import { incidentView } from '../incidents/view.js';
import type { LedgerProver } from '../ledger/proofs.js';

/** Where a request names the model version it deploys, in the order they are read. */
const versionFields = [
  ['context', 'modelVersion'],
  ['context', 'version'],
  ['change', 'version'],
  ['change', 'toVersion'],
] as const;

function namedVersion(request: Record<string, unknown>): { version: string; from: string } | undefined {
  for (const [section, field] of versionFields) {
    const value = (request[section] as Record<string, unknown> | undefined)?.[field];
    if (typeof value === 'string' && value !== '') return { version: value, from: `${section}.${field}` };
    if (typeof value === 'number') return { version: String(value), from: `${section}.${field}` };
  }
  return undefined;
}

/** An epoch-ms instant as ISO 8601. */
export const iso = (ms: number) => new Date(ms).toISOString();

export interface TraceBuilderDeps {
  store: Store;
  prover: LedgerProver;
  bundle: PolicyBundle;
  now: Date;
}

/** Collects the steps of one trace, proving each ledger entry once. */
export class TraceBuilder {
  readonly systems = new Set<string>();
  private readonly entries = new Map<number, { proof: LedgerProof; entry?: LedgerEntry }>();
  private readonly gateRuns = new Map<string, TraceGateRun>();
  private readonly alerts = new Map<number, TraceAlert>();

  private readonly store: Store;
  private readonly prover: LedgerProver;
  private readonly bundle: PolicyBundle;
  readonly now: Date;

  constructor({ store, prover, bundle, now }: TraceBuilderDeps) {
    this.store = store;
    this.prover = prover;
    this.bundle = bundle;
    this.now = now;
  }

  /** Proves an entry (checking it is what the record claims) and puts it on the timeline. */
  private async prove(index: number, claim: { type?: string; subject?: string } = {}): Promise<LedgerProof> {
    const proof = await this.prover.proveClaim(index, claim);
    const { entry } = await this.prover.prove(index);
    const known = this.entries.get(index);
    // A failed claim wins over an earlier plain proof of the same entry.
    if (!known || (known.proof.verified && !proof.verified))
      this.entries.set(index, { proof, ...(entry ? { entry } : {}) });
    return proof;
  }

  async incident(row: IncidentRow, links: readonly IncidentLinkRow[]): Promise<TraceIncident> {
    const ledger = await this.prove(row.ledgerIndex, { type: 'incident.opened', subject: row.id });
    const resolvedLedger =
      row.resolvedLedgerIndex === undefined
        ? null
        : await this.prove(row.resolvedLedgerIndex, { type: 'incident.resolved', subject: row.id });
    const traced: TraceIncidentLink[] = [];
    for (const link of links) {
      traced.push({
        kind: link.kind,
        ref: link.ref,
        note: link.note ?? null,
        linkedBy: link.linkedBy,
        linkedAt: link.linkedAt,
        ledger: await this.prove(link.ledgerIndex, { subject: row.id }),
        target:
          link.targetLedgerIndex === undefined
            ? null
            : await this.prove(link.targetLedgerIndex, this.claimOf(link)),
      });
    }
    // The incident's own fields as the API shows them, with proofs instead of bare ledger indexes.
    const {
      ledgerIndex: _opened,
      resolvedLedgerIndex: _resolved,
      links: _links,
      ...fields
    } = incidentView(row);
    return { ...fields, ledger, resolvedLedger, links: traced };
  }

  /** What the entry a link points at must be. */
  private claimOf(link: IncidentLinkRow): { type?: string; subject?: string } {
    switch (link.kind) {
      case 'decision':
        return { type: 'decision.created', subject: link.ref };
      case 'gate_run':
        return { type: 'gate.run' };
      case 'alert': {
        const alert = parseAlertRef(link.ref);
        return { type: 'alert.firing', ...(alert ? { subject: alert.system } : {}) };
      }
      default:
        return {};
    }
  }

  async decision(row: DecisionRow): Promise<TraceDecision> {
    if (row.systemId) this.systems.add(row.systemId);
    const ledger = await this.prove(row.ledgerIndex, { type: 'decision.created', subject: row.id });
    const entries: LedgerProof[] = [];
    const recordedEntries: LedgerEntry[] = [];
    for (const stored of await this.store.ledgerEntriesAbout({ subject: row.id, limit: 1000 })) {
      entries.push(await this.prove(stored.seq, { subject: row.id }));
      // What the entry's bytes say, not the query columns: the state is judged by those.
      const { entry } = await this.prover.prove(stored.seq);
      if (entry?.subject === row.id) recordedEntries.push(entry);
    }
    const approvalRows = await this.store.approvalsOf(row.id);
    const mismatches = decisionMismatches(row, approvalRows, recordedDecision(recordedEntries));
    const approvals = [];
    for (const approval of approvalRows)
      approvals.push({
        approver: approval.approver,
        groups: approval.groups,
        verdict: approval.verdict,
        reason: approval.reason ?? null,
        at: approval.createdAt,
        ledger: await this.prove(approval.ledgerIndex, { type: 'approval.recorded', subject: row.id }),
      });
    const outcome = row.outcome
      ? {
          status: row.outcome.status,
          detail: row.outcome.detail ?? null,
          at: row.outcome.at,
          ledger: await this.prove(row.outcome.ledgerIndex, { type: 'decision.outcome', subject: row.id }),
        }
      : null;
    const rules = ((row.verdict.reasons ?? []) as unknown as TraceRule[]).map(
      ({ policy, rule, effect, message, facts }) => ({ policy, rule, effect, message, facts: facts ?? {} }),
    );
    const incidents = [
      ...new Set((await this.store.incidentsLinking('decision', row.id)).map((l) => l.incidentId)),
    ];
    return {
      id: row.id,
      actor: { id: actorName(row.actorId), ref: row.actorId, kind: row.actorKind },
      system: row.systemId ?? null,
      action: row.action,
      resource: { type: row.resourceType, id: row.resourceId, environment: row.environment ?? null },
      status: row.status,
      effect: row.effect,
      statusReason: row.statusReason ?? null,
      request: row.request,
      requestHash: row.requestHash,
      bundle: row.bundle,
      rules,
      approvalsRequired: row.requirements,
      approvals,
      outcome,
      createdAt: row.createdAt,
      ledger,
      entries,
      release: await this.release(row),
      replay: await this.replay(row),
      incidents,
      state: {
        supported: mismatches.length === 0,
        problems: mismatches.map((m) => `${m.field}: table ${m.table}, ledger ${m.ledger}`),
      },
    };
  }

  /**
   * The model release behind a decision: of the resource when it is a registered System, else of
   * the requester. The gate run is the one of the version the request names, or else the latest
   * recorded before the decision; never one recorded after it.
   */
  private async release(row: DecisionRow): Promise<TraceRelease> {
    const resourceSystem = await this.store.getSystem(row.resourceId);
    const system = resourceSystem?.id ?? row.systemId ?? actorName(row.actorId);
    if (resourceSystem) this.systems.add(resourceSystem.id);
    const before = { recordedAt: iso(Date.parse(row.createdAt) + 1), id: '' };
    const named = namedVersion(row.request);
    const [run] = await this.store.gateRuns({
      systemId: system,
      ...(named ? { version: named.version } : {}),
      before,
      limit: 1,
    });
    if (!run)
      return {
        system,
        version: named?.version ?? null,
        versionFrom: named?.from ?? null,
        gateRun: null,
        ...(named
          ? { problem: `no gate run of ${system} ${named.version} was recorded before the decision` }
          : {}),
      };
    return {
      system,
      version: run.version,
      versionFrom: named?.from ?? 'gate run',
      gateRun:
        (await this.gateRun(run.id, named ? 'version named in the request' : 'latest before the decision')) ??
        null,
    };
  }

  /** The recorded request judged by the bundle in force now, as of its own time. */
  private async replay(row: DecisionRow): Promise<TraceDecision['replay']> {
    const system = row.systemId ? await this.store.getSystem(row.systemId) : undefined;
    const actor: Actor = system
      ? { ...system.spec, id: system.id, kind: system.kind, status: system.status }
      : { id: actorName(row.actorId), ref: row.actorId, kind: 'human', groups: [] };
    return replayRequest(this.bundle, {
      request: row.request as unknown as ActionRequest,
      actor,
      at: new Date(row.createdAt),
      recordedEffect: row.effect,
    });
  }

  async gateRun(id: string, selectedBy: TraceGateRun['selectedBy']): Promise<TraceGateRun | undefined> {
    const known = this.gateRuns.get(id);
    if (known) {
      if (selectedBy === 'linked') known.selectedBy = 'linked';
      return known;
    }
    const run = await this.store.gateRun(id);
    if (!run) return undefined;
    const checks = (run.report.checks ?? []) as unknown as {
      policy: string;
      check: string;
      severity: string;
      status: string;
      message: string;
    }[];
    const traced: TraceGateRun = {
      id: run.id,
      system: run.systemId,
      version: run.version,
      release: run.releaseName,
      passed: run.passed,
      bundle: run.bundle,
      recordedAt: run.recordedAt,
      recordedBy: run.recordedBy,
      failedChecks: checks
        .filter((check) => check.status === 'failed')
        .map(({ policy, check, severity, message }) => ({ policy, check, severity, message })),
      selectedBy,
      ledger: await this.prove(run.ledgerIndex, { type: 'gate.run', subject: run.systemId }),
    };
    this.gateRuns.set(id, traced);
    // The released model's owner answers for it too.
    this.systems.add(run.systemId);
    return traced;
  }

  /** One alert transition by its ledger entry. */
  async alert(index: number, linked: boolean): Promise<void> {
    const known = this.alerts.get(index);
    if (known) {
      known.linked ||= linked;
      return;
    }
    const ledger = await this.prove(index);
    const { entry } = await this.prover.prove(index);
    if (!entry || (entry.type !== 'alert.firing' && entry.type !== 'alert.resolved')) return;
    const data = entry.data as Record<string, unknown>;
    const window = data.window as { start: string; end: string } | undefined;
    const system = String(data.system ?? entry.subject);
    // A linked alert brings its System's owner into the trace; alerts found around it do not widen it.
    if (linked) this.systems.add(system);
    this.alerts.set(index, {
      system,
      policy: String(data.policy ?? ''),
      alert: String(data.alert ?? ''),
      severity: String(data.severity ?? ''),
      transition: entry.type === 'alert.firing' ? 'firing' : 'resolved',
      message: String(data.message ?? ''),
      time: entry.time,
      window: window ? { start: window.start, end: window.end } : null,
      linked,
      ledger,
    });
  }

  /** Alert transitions of every System in the trace with entry times in [from, to]. */
  async alertsAround(from: string, to: string): Promise<void> {
    for (const system of this.systems) {
      const stored = await this.store.ledgerEntriesAbout({
        subject: system,
        types: ['alert.firing', 'alert.resolved'],
        from,
        to,
        limit: 200,
      });
      for (const entry of stored) await this.alert(entry.seq, false);
    }
  }

  /** Owner and on-call of every System in the trace, the incident's (or decision's) own first. */
  async accountability(
    first: string | undefined,
    recorded: (system: string) => PagedContact | undefined,
    at: Date,
  ): Promise<TraceAccountability[]> {
    const order = [...this.systems].sort((a, b) => (a === first ? -1 : b === first ? 1 : a.localeCompare(b)));
    const out: TraceAccountability[] = [];
    for (const id of order) {
      const system = await this.store.getSystem(id);
      const [standing] = system ? await this.store.autonomyChanges(id, { limit: 1 }) : [];
      const spec = (system?.spec ?? {}) as {
        owner?: { team?: string; person?: string };
        onCall?: OnCallSpec;
        riskTier?: string;
      };
      out.push({
        system: id,
        kind: system?.kind ?? 'unknown',
        status: system?.status ?? 'unknown',
        // What the System may do now (after demotions and promotions), not its document's ceiling.
        autonomy: system ? stateOf(system, standing).effective : null,
        riskTier: spec.riskTier ?? null,
        owner: { team: spec.owner?.team ?? null, person: spec.owner?.person ?? null },
        onCall: { ...(spec.onCall ?? {}) },
        paged:
          recorded(id) ??
          pagedContact({
            onCall: spec.onCall,
            ownerTeam: ownerTeamOf(system),
            rotations: this.bundle.rotations,
            notifiers: this.bundle.notifiers,
            at,
          }),
      });
    }
    return out;
  }

  finish(parts: Pick<Trace, 'subject' | 'incident' | 'decisions' | 'deployments' | 'accountability'>): Trace {
    const timeline: TimelineEvent[] = [...this.entries.entries()]
      .sort(([a], [b]) => a - b)
      .map(([index, { proof, entry }]) => ({
        time: entry?.time ?? proof.time ?? '',
        ledgerIndex: index,
        type: entry?.type ?? proof.type ?? 'unknown',
        actor: entry?.actor ?? '',
        subject: entry?.subject ?? '',
        summary: entry ? describeEntry(entry) : (proof.problem ?? 'entry not readable'),
        verified: proof.verified,
      }));
    const proofs = [...this.entries.values()].map(({ proof }) => proof);
    const verifiedCount = proofs.filter((proof) => proof.verified).length;
    return {
      format: traceFormat,
      generatedAt: this.now.toISOString(),
      subject: parts.subject,
      checkpoint: this.prover.checkpoint,
      // A decision whose stored state its entries do not support is not verified, however its proofs went.
      verified:
        (this.prover.checkpoint?.signatureValid ?? false) &&
        verifiedCount === proofs.length &&
        parts.decisions.every((decision) => decision.state.supported),
      proofs: { total: proofs.length, verified: verifiedCount },
      incident: parts.incident,
      decisions: parts.decisions,
      gateRuns: [...this.gateRuns.values()].sort((a, b) => a.recordedAt.localeCompare(b.recordedAt)),
      alerts: [...this.alerts.values()].sort((a, b) => a.ledger.index - b.ledger.index),
      deployments: parts.deployments,
      accountability: parts.accountability,
      timeline,
    };
  }
}
