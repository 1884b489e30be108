import type { LedgerEntry } from '../ledger/entry.js';

/**
 * What the ledger proves about a period: the facts a compliance control asks for, counted from
 * verified ledger entries only (never from mutable tables), each with a few example entries so an
 * auditor can look them up. Pure: entries in, evidence out.
 */

export interface Example {
  seq: number;
  time: string;
  type: string;
  subject: string;
  summary: string;
}

export interface Evidence {
  period: { from: string; to: string };
  entries: number;
  entryTypes: Record<string, number>;
  systems: {
    registered: number;
    byRiskTier: Record<string, number>;
    withOwner: number;
    withOnCall: number;
    byAutonomy: Record<string, number>;
    ids: string[];
  };
  policies: { bundlesInForce: string[]; reloads: number; rejectedReloads: number };
  decisions: {
    total: number;
    byEffect: Record<string, number>;
    bySystem: Record<string, number>;
    withRationale: number;
    withExplanation: number;
    pendingResolved: { approved: number; denied: number; expired: number };
  };
  approvals: {
    total: number;
    approvers: number;
    rejections: number;
    /** Approvals where the approver was the requester (separation of duties broken): should be 0. */
    selfApprovals: number;
    medianMinutesToDecision: number | null;
  };
  outcomes: { succeeded: number; failed: number; rolledBack: number };
  oversight: { freezes: number; unfreezes: number; autonomyDemotions: number; autonomyChanges: number };
  gates: { runs: number; passed: number; failed: number; waivedChecks: number; systems: string[] };
  /** Data sets checked by `arbiter data check`, as gate runs recorded them (Art. 10, A.7). */
  data: { checks: number; passed: number; failed: number; withPersonalData: number; datasets: string[] };
  monitoring: { alertsFired: number; alertsResolved: number; critical: number; systems: string[] };
  incidents: { opened: number; resolved: number; linked: number };
  access: { tokensCreated: number; tokensRevoked: number };
  notifications: { deadLetters: number };
  examples: Record<string, Example[]>;
}

const examplesPerKind = 5;

const inc = (counts: Record<string, number>, key: string, by = 1) => {
  counts[key] = (counts[key] ?? 0) + by;
};

const str = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);
const obj = (value: unknown): Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};

function median(values: number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/**
 * Evidence for [from, to). Systems registered before `from` still count as registered (the
 * inventory is cumulative); everything else counts only inside the period.
 */
export function collectEvidence(entries: readonly LedgerEntry[], from: Date, to: Date): Evidence {
  const inPeriod = (entry: LedgerEntry) => {
    const time = Date.parse(entry.time);
    return time >= from.getTime() && time < to.getTime();
  };
  const evidence: Evidence = {
    period: { from: from.toISOString(), to: to.toISOString() },
    entries: 0,
    entryTypes: {},
    systems: { registered: 0, byRiskTier: {}, withOwner: 0, withOnCall: 0, byAutonomy: {}, ids: [] },
    policies: { bundlesInForce: [], reloads: 0, rejectedReloads: 0 },
    decisions: {
      total: 0,
      byEffect: {},
      bySystem: {},
      withRationale: 0,
      withExplanation: 0,
      pendingResolved: { approved: 0, denied: 0, expired: 0 },
    },
    approvals: { total: 0, approvers: 0, rejections: 0, selfApprovals: 0, medianMinutesToDecision: null },
    outcomes: { succeeded: 0, failed: 0, rolledBack: 0 },
    oversight: { freezes: 0, unfreezes: 0, autonomyDemotions: 0, autonomyChanges: 0 },
    gates: { runs: 0, passed: 0, failed: 0, waivedChecks: 0, systems: [] },
    data: { checks: 0, passed: 0, failed: 0, withPersonalData: 0, datasets: [] },
    monitoring: { alertsFired: 0, alertsResolved: 0, critical: 0, systems: [] },
    incidents: { opened: 0, resolved: 0, linked: 0 },
    access: { tokensCreated: 0, tokensRevoked: 0 },
    notifications: { deadLetters: 0 },
    examples: {},
  };
  const example = (kind: string, entry: LedgerEntry, summary: string) => {
    evidence.examples[kind] ??= [];
    const list = evidence.examples[kind];
    if (list.length < examplesPerKind)
      list.push({ seq: entry.seq, time: entry.time, type: entry.type, subject: entry.subject, summary });
  };
  const systems = new Map<string, Record<string, unknown>>();
  const requesters = new Map<string, { actor: string; time: number }>();
  const approvers = new Set<string>();
  const minutesToDecision: number[] = [];
  const bundles = new Set<string>();
  const gateSystems = new Set<string>();
  const checkedDatasets = new Set<string>();
  const alertSystems = new Set<string>();

  for (const entry of entries) {
    const data = obj(entry.data);
    if (entry.type === 'system.registered') systems.set(entry.subject, obj(data.spec));
    if (entry.type === 'policy.loaded' || entry.type === 'policy.reloaded') {
      const bundle = str(data.bundle);
      if (bundle && Date.parse(entry.time) < to.getTime()) bundles.add(bundle);
    }
    if (entry.type === 'decision.created')
      requesters.set(entry.subject, { actor: entry.actor, time: Date.parse(entry.time) });
    if (!inPeriod(entry)) continue;
    evidence.entries++;
    inc(evidence.entryTypes, entry.type);
    switch (entry.type) {
      case 'policy.reloaded':
        evidence.policies.reloads++;
        example('policy', entry, `bundle ${str(data.bundle) ?? '?'} in force`);
        break;
      case 'policy.reload_failed':
        evidence.policies.rejectedReloads++;
        example('policy', entry, 'a policy change was rejected and the previous bundle stayed in force');
        break;
      case 'decision.created': {
        const request = obj(data.request);
        const effect = str(data.effect) ?? 'unknown';
        evidence.decisions.total++;
        inc(evidence.decisions.byEffect, effect);
        inc(evidence.decisions.bySystem, entry.actor);
        // Entries record a rationale's size under `withheld`; older ones held it verbatim.
        if (str(request.rationale) || typeof obj(data.withheld).rationale === 'number')
          evidence.decisions.withRationale++;
        if (Array.isArray(data.reasons) && data.reasons.length > 0) evidence.decisions.withExplanation++;
        const resource = obj(request.resource);
        example(
          `decision.${effect}`,
          entry,
          `${entry.actor}: ${str(request.action) ?? '?'} ${str(resource.type) ?? ''}:${str(resource.id) ?? ''}${str(resource.environment) ? ` (${str(resource.environment)})` : ''} → ${effect}`,
        );
        break;
      }
      case 'approval.recorded': {
        evidence.approvals.total++;
        approvers.add(entry.actor);
        if (data.verdict === 'reject') evidence.approvals.rejections++;
        const request = requesters.get(entry.subject);
        if (request?.actor === entry.actor) evidence.approvals.selfApprovals++;
        example('approval', entry, `${entry.actor} ${str(data.verdict) ?? 'voted'}d ${entry.subject}`);
        break;
      }
      case 'decision.allowed':
      case 'decision.denied': {
        const reason = str(data.reason) ?? str(obj(data).statusReason);
        if (entry.type === 'decision.allowed') evidence.decisions.pendingResolved.approved++;
        else if (reason === 'expired') evidence.decisions.pendingResolved.expired++;
        else evidence.decisions.pendingResolved.denied++;
        const request = requesters.get(entry.subject);
        if (request) minutesToDecision.push((Date.parse(entry.time) - request.time) / 60_000);
        break;
      }
      case 'decision.outcome': {
        const status = str(data.status);
        if (status === 'succeeded') evidence.outcomes.succeeded++;
        else if (status === 'failed') evidence.outcomes.failed++;
        else if (status === 'rolled_back') evidence.outcomes.rolledBack++;
        if (status !== 'succeeded')
          example('outcome.failure', entry, `${entry.subject} ${status ?? '?'} (${entry.actor})`);
        break;
      }
      case 'system.frozen':
        evidence.oversight.freezes++;
        example('oversight', entry, `${entry.subject} frozen by ${entry.actor}`);
        break;
      case 'system.unfrozen':
        evidence.oversight.unfreezes++;
        break;
      case 'system.autonomy_demoted':
        evidence.oversight.autonomyDemotions++;
        example(
          'oversight',
          entry,
          `${entry.subject} autonomy ${String(data.from)} → ${String(data.to)} after failures`,
        );
        break;
      case 'system.autonomy_changed':
        evidence.oversight.autonomyChanges++;
        break;
      case 'gate.run': {
        evidence.gates.runs++;
        if (data.passed === true) evidence.gates.passed++;
        else evidence.gates.failed++;
        const checks = Array.isArray(data.checks) ? data.checks.map(obj) : [];
        evidence.gates.waivedChecks += checks.filter((check) => check.status === 'waived').length;
        const system = str(data.system) ?? entry.subject;
        gateSystems.add(system);
        example(
          'gate',
          entry,
          `${system} ${str(data.version) ?? ''}: ${data.passed === true ? 'passed' : 'failed'}`,
        );
        for (const dataset of Array.isArray(data.datasets) ? data.datasets.map(obj) : []) {
          evidence.data.checks++;
          if (dataset.passed === true) evidence.data.passed++;
          else evidence.data.failed++;
          if (typeof dataset.personalData === 'number' && dataset.personalData > 0)
            evidence.data.withPersonalData++;
          const name = str(dataset.name) ?? '?';
          checkedDatasets.add(name);
          example(
            'data',
            entry,
            `${system} ${str(data.version) ?? ''}: data set ${name} (sha256 ${(str(dataset.sha256) ?? '').slice(0, 12)}…) ${dataset.passed === true ? 'passed' : 'failed'} its data check`,
          );
        }
        break;
      }
      case 'alert.firing': {
        evidence.monitoring.alertsFired++;
        if (data.severity === 'critical') evidence.monitoring.critical++;
        alertSystems.add(entry.subject);
        example(
          'alert',
          entry,
          `${entry.subject}: ${str(data.alert) ?? '?'} (${str(data.severity) ?? '?'}) ${str(data.message) ?? ''}`,
        );
        break;
      }
      case 'alert.resolved':
        evidence.monitoring.alertsResolved++;
        break;
      case 'incident.opened':
        evidence.incidents.opened++;
        example('incident', entry, `${entry.subject}: ${str(data.title) ?? ''}`);
        break;
      case 'incident.resolved':
        evidence.incidents.resolved++;
        break;
      case 'incident.linked':
        evidence.incidents.linked++;
        break;
      case 'token.created':
        evidence.access.tokensCreated++;
        break;
      case 'token.revoked':
        evidence.access.tokensRevoked++;
        break;
      case 'notification.dead':
        evidence.notifications.deadLetters++;
        break;
    }
  }

  for (const [id, spec] of systems) {
    evidence.systems.registered++;
    evidence.systems.ids.push(id);
    inc(evidence.systems.byRiskTier, str(spec.riskTier) ?? 'unknown');
    inc(evidence.systems.byAutonomy, String(spec.autonomy ?? 'unknown'));
    if (str(obj(spec.owner).team) && str(obj(spec.owner).person)) evidence.systems.withOwner++;
    if (Object.keys(obj(spec.onCall)).length > 0) evidence.systems.withOnCall++;
  }
  evidence.systems.ids.sort();
  evidence.policies.bundlesInForce = [...bundles];
  evidence.approvals.approvers = approvers.size;
  evidence.approvals.medianMinutesToDecision = median(minutesToDecision);
  evidence.gates.systems = [...gateSystems].sort();
  evidence.data.datasets = [...checkedDatasets].sort();
  evidence.monitoring.systems = [...alertSystems].sort();
  return evidence;
}
