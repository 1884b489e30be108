import { describe, expect, it } from 'vitest';
import { isArbiterError } from '../../src/core/errors.js';
import type { DecisionRow } from '../../src/decisions/records.js';
import type { GateRunRow } from '../../src/gate/records.js';
import type { Principal } from '../../src/identity/principal.js';
import {
  alertFiringLink,
  alertIncident,
  alertOpensIncident,
  newIncidentRow,
  newLinkRow,
  openedEntry,
  outcomeIncident,
} from '../../src/incidents/opening.js';
import type { PagedContact } from '../../src/incidents/paging.js';
import type { LedgerEntryFilter } from '../../src/incidents/records.js';
import { type LinkTargetReads, linkTarget } from '../../src/incidents/targets.js';
import { buildEntry } from '../../src/ledger/entry.js';
import type { StoredEntry } from '../../src/ledger/storage.js';
import type { AlertState } from '../../src/monitor/alerts.js';
import { defaultIncidentSettings } from '../../src/policy/on-call.js';
import type { SystemRow } from '../../src/registry/records.js';

// Incidents opened and linked without a store or a server: what opens one, what opening writes,
// and what a link names, found through an in-memory port.

const { openOn } = defaultIncidentSettings;
const system: SystemRow = {
  id: 'deploy-bot',
  kind: 'agent',
  spec: { owner: { team: 'platform' } },
  source: 'bundle',
  status: 'active',
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
};

const decision = (
  outcome: DecisionRow['outcome'],
  environment: string | undefined = 'prod',
): DecisionRow => ({
  id: 'dec_1',
  actorId: 'deploy-bot',
  actorKind: 'agent',
  systemId: 'deploy-bot',
  action: 'deploy',
  resourceType: 'service',
  resourceId: 'payments',
  ...(environment ? { environment } : {}),
  request: {},
  requestHash: 'sha256:0',
  status: 'allowed',
  effect: 'allow',
  verdict: {},
  requirements: [],
  bundle: 'sha256:b',
  createdAt: '2026-03-04T10:00:00.000Z',
  updatedAt: '2026-03-04T10:00:00.000Z',
  ledgerIndex: 12,
  ...(outcome ? { outcome } : {}),
});
const at = '2026-03-04T11:00:00.000Z';

const alertState = (severity: AlertState['severity']): AlertState => ({
  policy: 'credit-drift',
  alert: 'psi-high',
  status: 'firing',
  consecutive: 3,
  lastWindow: 0,
  severity,
  message: 'PSI 0.31 on age',
  facts: {},
});

describe('incidents Arbiter opens by itself', () => {
  it('a failed production outcome opens one, titled after what failed, linked to the decision', () => {
    const incident = outcomeIncident(
      openOn,
      decision({ status: 'failed', detail: '5xx spike', at, ledgerIndex: 13 }),
      system,
    );
    expect(incident).toEqual({
      title: 'deploy of service:payments in prod by deploy-bot failed',
      severity: 'sev2',
      systemId: 'deploy-bot',
      system,
      description: '5xx spike',
      trigger: 'outcome',
      dedupKey: 'decision:dec_1',
      openedBy: 'arbiter',
      links: [{ kind: 'decision', ref: 'dec_1', targetLedgerIndex: 12 }],
    });
    const rolledBack = outcomeIncident(
      openOn,
      decision({ status: 'rolled_back', at, ledgerIndex: 13 }),
      system,
    );
    expect(rolledBack).toMatchObject({ severity: 'sev3', title: expect.stringMatching(/was rolled back$/) });
    expect(rolledBack).not.toHaveProperty('description');
  });

  it('a success, another environment, a human decision or an outcome openOn leaves out opens none', () => {
    const failed = { status: 'failed' as const, at, ledgerIndex: 13 };
    expect(outcomeIncident(openOn, decision({ ...failed, status: 'succeeded' }), system)).toBeUndefined();
    expect(outcomeIncident(openOn, decision(failed, 'staging'), system)).toBeUndefined();
    expect(outcomeIncident(openOn, decision(failed, ''), system)).toBeUndefined();
    expect(outcomeIncident(openOn, { ...decision(failed), systemId: undefined }, system)).toBeUndefined();
    expect(outcomeIncident(openOn, decision(undefined), system)).toBeUndefined();
    expect(
      outcomeIncident({ ...openOn, outcomes: ['rolled_back'] }, decision(failed), system),
    ).toBeUndefined();
  });

  it('an alert of a configured severity opens one per alert, linked to the firing', () => {
    expect(alertOpensIncident(openOn, alertState('critical'))).toBe(true);
    expect(alertOpensIncident(openOn, alertState('warning'))).toBe(false);
    const firing = { system: 'credit-model', state: alertState('critical'), ledgerIndex: 77 };
    expect(alertFiringLink(firing)).toEqual({
      link: { kind: 'alert', ref: 'credit-model/credit-drift/psi-high#77', targetLedgerIndex: 77 },
      dedupKey: 'alert:credit-model/credit-drift/psi-high',
    });
    expect(alertIncident(firing, undefined)).toEqual({
      title: 'credit-model: psi-high is firing',
      severity: 'sev2',
      systemId: 'credit-model',
      description: 'PSI 0.31 on age',
      trigger: 'alert',
      dedupKey: 'alert:credit-model/credit-drift/psi-high',
      openedBy: 'arbiter',
      links: [{ kind: 'alert', ref: 'credit-model/credit-drift/psi-high#77', targetLedgerIndex: 77 }],
    });
  });
});

describe('what opening an incident writes', () => {
  const paged: PagedContact = {
    at,
    team: 'platform-oncall',
    person: 'dana@example.com',
    source: 'onCall.person',
    rotation: null,
    shift: null,
    pagerdutyRoutingKey: null,
  };
  const incident = outcomeIncident(
    openOn,
    decision({ status: 'failed', detail: 'boom', at, ledgerIndex: 13 }),
    system,
  )!;

  it('keeps the paged person and the description out of the hashed entry, as personal data', () => {
    const entry = openedEntry(incident, paged);
    expect(entry.personal).toEqual({ pagedPerson: 'dana@example.com', description: 'boom' });
    expect(JSON.stringify(entry.data)).not.toContain('dana@example.com');
    expect(JSON.stringify(entry.data)).not.toContain('boom');
    expect(entry.data).toEqual({
      title: incident.title,
      severity: 'sev2',
      system: 'deploy-bot',
      trigger: 'outcome',
      paged: {
        at,
        team: 'platform-oncall',
        source: 'onCall.person',
        rotation: null,
        shift: null,
        pagerdutyRoutingKey: null,
      },
      links: [{ kind: 'decision', ref: 'dec_1', ledgerIndex: 12 }],
    });
    const quiet = openedEntry({ ...incident, description: undefined }, { ...paged, person: null });
    expect(quiet).not.toHaveProperty('personal');
  });

  it('builds the open incident row and its link rows from the entry that records them', () => {
    const row = newIncidentRow(incident, { id: 'inc_1', at, paged, ledgerIndex: 50 });
    expect(row).toEqual({
      id: 'inc_1',
      title: incident.title,
      severity: 'sev2',
      status: 'open',
      systemId: 'deploy-bot',
      description: 'boom',
      trigger: 'outcome',
      dedupKey: 'decision:dec_1',
      openedBy: 'arbiter',
      openedAt: at,
      paged: JSON.parse(JSON.stringify(paged)),
      ledgerIndex: 50,
      updatedAt: at,
    });
    expect(
      newLinkRow(
        'inc_1',
        { kind: 'deployment', ref: 'v1.2', note: 'rolled out at 11:00' },
        { by: 'sam', at, ledgerIndex: 51 },
      ),
    ).toEqual({
      incidentId: 'inc_1',
      kind: 'deployment',
      ref: 'v1.2',
      note: 'rolled out at 11:00',
      linkedBy: 'sam',
      linkedAt: at,
      ledgerIndex: 51,
    });
  });
});

describe('link targets', () => {
  const stored = (seq: number, type: string, subject: string, data: Record<string, string>): StoredEntry => {
    const { bytes } = buildEntry({ type, actor: 'arbiter', subject, data }, seq, new Date(at));
    return { seq, time: at, type, actor: 'arbiter', subject, bytes, leafHash: new Uint8Array(32) };
  };
  const entries = [
    stored(70, 'alert.firing', 'credit-model', { policy: 'credit-drift', alert: 'psi-high' }),
    stored(71, 'alert.firing', 'credit-model', { policy: 'credit-drift', alert: 'ks-high' }),
    stored(72, 'alert.resolved', 'credit-model', { policy: 'credit-drift', alert: 'psi-high' }),
    stored(73, 'alert.firing', 'credit-model', { policy: 'credit-drift', alert: 'psi-high' }),
  ];
  const reads: LinkTargetReads = {
    async getDecision(id) {
      return id === 'dec_1' ? decision(undefined) : undefined;
    },
    async gateRun(id) {
      return id === 'gr_1'
        ? ({ id: 'gr_1', ledgerIndex: 30, systemId: 'credit-model' } as GateRunRow)
        : undefined;
    },
    async ledgerEntriesAbout(filter: LedgerEntryFilter) {
      const found = entries.filter(
        (e) => e.subject === filter.subject && (filter.types ?? [e.type]).includes(e.type),
      );
      return (filter.newestFirst ? [...found].reverse() : found).slice(0, filter.limit);
    },
    ledger: {
      async entries(start, end) {
        return entries.filter((e) => e.seq >= start && e.seq < end);
      },
    },
  };
  const approver: Principal = { tokenId: 't', role: 'approver', user: 'sam', groups: [] };
  const codeOf = async (promise: Promise<unknown>) =>
    promise.then(
      () => undefined,
      (error: unknown) => (isArbiterError(error) ? error.code : Promise.reject(error)),
    );

  it('names decisions and gate runs by their ledger entries, with their System', async () => {
    expect(await linkTarget(reads, approver, 'decision', 'dec_1')).toEqual({
      kind: 'decision',
      ref: 'dec_1',
      targetLedgerIndex: 12,
      systemId: 'deploy-bot',
    });
    expect(await linkTarget(reads, approver, 'gate_run', 'gr_1')).toEqual({
      kind: 'gate_run',
      ref: 'gr_1',
      targetLedgerIndex: 30,
      systemId: 'credit-model',
    });
    expect(await linkTarget(reads, approver, 'deployment', 'anything')).toEqual({
      kind: 'deployment',
      ref: 'anything',
    });
  });

  it("keeps agents to their own decisions: another's is as unknown as a missing one", async () => {
    const other: Principal = { tokenId: 't', role: 'agent', systemId: 'other-bot', groups: [] };
    expect(await codeOf(linkTarget(reads, other, 'decision', 'dec_1'))).toBe('ARB_ERR_INCIDENT_LINK_UNKNOWN');
    expect(await codeOf(linkTarget(reads, approver, 'decision', 'dec_2'))).toBe(
      'ARB_ERR_INCIDENT_LINK_UNKNOWN',
    );
    expect(await codeOf(linkTarget(reads, approver, 'gate_run', 'gr_2'))).toBe(
      'ARB_ERR_INCIDENT_LINK_UNKNOWN',
    );
  });

  it("names an alert's latest firing, or the firing #seq names, and nothing else", async () => {
    expect(await linkTarget(reads, approver, 'alert', 'credit-model/credit-drift/psi-high')).toEqual({
      kind: 'alert',
      ref: 'credit-model/credit-drift/psi-high#73',
      targetLedgerIndex: 73,
      systemId: 'credit-model',
    });
    expect((await linkTarget(reads, approver, 'alert', 'credit-model/credit-drift/psi-high#70')).ref).toBe(
      'credit-model/credit-drift/psi-high#70',
    );
    // #72 is the resolution, #71 another alert's firing: neither is a firing of this alert.
    for (const ref of [
      'credit-model/credit-drift/psi-high#72',
      'credit-model/credit-drift/psi-high#71',
      'credit-model/other/psi-high',
    ])
      expect(await codeOf(linkTarget(reads, approver, 'alert', ref))).toBe('ARB_ERR_INCIDENT_LINK_UNKNOWN');
    expect(await codeOf(linkTarget(reads, approver, 'alert', 'not an alert'))).toBe(
      'ARB_ERR_REQUEST_INVALID',
    );
  });
});
