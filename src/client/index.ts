import { randomUUID } from 'node:crypto';
import type { GateRun as GateRunReport } from '../gate/run.js';
import type { IncidentView as Incident } from '../incidents/incident.js';
import type { Trace } from '../incidents/trace.js';
import type { AlertState } from '../monitor/alerts.js';
import type { WindowMetrics } from '../monitor/evaluate.js';
import type { MonitorEvent } from '../monitor/window.js';

/**
 * arbiter/client — a small typed client for agents and tools: ask before acting, wait for the
 * humans, report what happened. Retries network failures, 429 and 5xx with the same
 * idempotency key, so a retried request never creates a second decision.
 */

export interface ActionRequestBody {
  action: string;
  resource: { type: string; id: string; environment?: string };
  change?: Record<string, unknown>;
  rationale?: string;
  confidence?: number;
  evidence?: unknown[];
  context?: Record<string, unknown>;
  idempotencyKey?: string;
}

export interface Decision {
  id: string;
  status: 'allowed' | 'pending' | 'denied';
  effect: 'allow' | 'require_approval' | 'deny';
  actor: { id: string; kind: string };
  systemId: string | null;
  action: string;
  resource: { type: string; id: string; environment: string | null };
  request: Record<string, unknown>;
  requestHash: string;
  reasons: {
    policy: string;
    rule: string;
    effect: string;
    message: string;
    facts: Record<string, unknown>;
    error?: string;
  }[];
  approvals: {
    required: {
      count: number;
      from: string[];
      ttl: string;
      met: boolean;
      approvers: string[];
      missing: string[];
    }[];
    received: { approver: string; verdict: 'approve' | 'reject'; reason: string | null; at: string }[];
  };
  statusReason: string | null;
  bundle: string;
  ledgerIndex: number;
  createdAt: string;
  updatedAt: string;
  expiresAt: string | null;
  outcome: { status: string; detail: string | null; at: string; ledgerIndex: number } | null;
  [field: string]: unknown;
}

/** A dry-run verdict: the effect and why, without a decision being recorded. */
export interface Explanation {
  effect: 'allow' | 'require_approval' | 'deny';
  reasons: Decision['reasons'];
  notFired: { policy: string; rule: string; effect: string; facts: Record<string, unknown> }[];
  approvals: { count: number; from: string[]; ttl: string; rules: string[] }[];
  bundle: string;
  [field: string]: unknown;
}

export interface SystemInfo {
  id: string;
  kind: string;
  status: 'active' | 'frozen';
  statusReason: string | null;
  owner: { team: string; person: string };
  onCall: Record<string, string>;
  /** The effective level: the document's, unless a demotion stands. */
  autonomy: number;
  /** The System document's level: the most a promotion may restore. */
  autonomyCeiling: number;
  errorBudget: { maxFailures: number; window: string; environments: string[] } | null;
  trackRecord: {
    window: string;
    environments: string[];
    actions: number;
    succeeded: number;
    failed: number;
    rolledBack: number;
    failureRate: number;
    budget?: { maxFailures: number; failures: number; remaining: number };
  };
  /** The newest autonomy changes first (at most 5). */
  autonomyChanges: {
    at: string;
    from: number;
    to: number;
    ceiling: number;
    cause: 'budget' | 'human';
    by: string;
    reason: string;
    decisions: string[];
    ledgerIndex: number;
  }[];
  riskTier: string;
  [field: string]: unknown;
}

/** What `arbiter gate` produced for one release, as sent to `POST /v1/gate-runs`. */
export type { GateRun as GateRunReport } from '../gate/run.js';
export type { GateCheckResult as GateCheckReport } from '../policy/evaluate-gate.js';

/** A gate run as the server recorded it; `report` only when read by id. */
export interface RecordedGateRun {
  id: string;
  system: string;
  version: string;
  release: string;
  passed: boolean;
  bundle: string;
  startedAt: string;
  recordedAt: string;
  recordedBy: string;
  reportSha256: string;
  ledgerIndex: number;
  report?: GateRunReport;
}

export type { IncidentLinkView, IncidentView as Incident } from '../incidents/incident.js';
export type * from '../incidents/trace.js';
export type { MonitorEvent } from '../monitor/window.js';

/** What the server did with a batch of monitoring events or labels. */
export interface MonitorBatchResult {
  /** Events counted, or labels joined to their events. */
  accepted: number;
  /** Items not counted; the first 50 are listed in `problems`. */
  rejected: number;
  /** Of the rejected: repeated ids (events), or labels for events already labelled. */
  duplicates: number;
  /** Labels only: ids no stored event has. */
  unknown?: number;
  /** `index` is the 0-based position in the batch; `line` the NDJSON line, when sent as NDJSON. */
  problems: { index: number; line?: number; message: string }[];
}

/** One monitoring window (or, merged, one day) with its metrics. */
export interface MonitorWindow {
  start: string;
  end: string;
  /** Not evaluated yet: metrics computed on read, alerts not stepped. */
  open: boolean;
  evaluatedAt: string | null;
  /** SHA-256 of the reference profile the window is counted against. */
  profile: string;
  /** Stored windows merged into this one (merge=day). */
  windows?: number;
  metrics: WindowMetrics;
}

/** The state of one monitoring alert (`lastWindow`: start of the last window stepped, epoch ms). */
export type MonitorAlert = AlertState & { system: string; updatedAt: string };

/** An error answered by the Arbiter API, with its stable code. */
export class ArbiterApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'ArbiterApiError';
  }
}

export interface ClientOptions {
  /** Base URL, e.g. http://127.0.0.1:8080 */
  url: string;
  token: string;
  /** Attempts for retryable failures (default 3). */
  attempts?: number;
  fetch?: typeof fetch;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class ArbiterClient {
  private readonly base: string;
  private readonly attempts: number;
  private readonly fetcher: typeof fetch;

  constructor(private readonly options: ClientOptions) {
    this.base = options.url.replace(/\/+$/, '');
    this.attempts = options.attempts ?? 3;
    this.fetcher = options.fetch ?? fetch;
  }

  /** Sends a request; retries network errors, 429 and 5xx. `idempotent` must be true for retries of POSTs. */
  async call<T>(
    method: string,
    path: string,
    body?: unknown,
    { idempotent = method === 'GET', accept = 'application/json' } = {},
  ): Promise<T> {
    let lastError: unknown;
    for (let attempt = 1; attempt <= (idempotent ? this.attempts : 1); attempt++) {
      let response: Response;
      try {
        response = await this.fetcher(`${this.base}${path}`, {
          method,
          headers: {
            authorization: `Bearer ${this.options.token}`,
            accept,
            ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        });
      } catch (error) {
        lastError = new ArbiterApiError(
          0,
          'ARB_CLIENT_UNREACHABLE',
          `cannot reach Arbiter at ${this.base}: ${(error as Error).message}`,
        );
        await sleep(200 * attempt);
        continue;
      }
      if ((response.status === 429 || response.status >= 500) && attempt < (idempotent ? this.attempts : 1)) {
        const retryAfter = Number(response.headers.get('retry-after') ?? 0);
        await sleep(retryAfter > 0 ? retryAfter * 1000 : 200 * attempt);
        continue;
      }
      const text = await response.text();
      if (!response.ok) {
        let parsed: { error?: { code?: string; message?: string; details?: unknown } } = {};
        try {
          parsed = JSON.parse(text);
        } catch {
          // not JSON: use the text below
        }
        throw new ArbiterApiError(
          response.status,
          parsed.error?.code ?? `HTTP_${response.status}`,
          parsed.error?.message ?? text,
          parsed.error?.details,
        );
      }
      return (accept === 'application/json' ? JSON.parse(text) : text) as T;
    }
    throw lastError;
  }

  /** Asks before acting. An idempotency key is generated when none is given, so retries are safe. */
  requestAction(request: ActionRequestBody): Promise<Decision> {
    const body = { ...request, idempotencyKey: request.idempotencyKey ?? randomUUID() };
    return this.call<Decision>('POST', '/v1/decisions', body, { idempotent: true });
  }

  /** What would be decided for this request now; nothing is recorded. */
  explain(request: Omit<ActionRequestBody, 'idempotencyKey'>): Promise<Explanation> {
    return this.call<Explanation>('POST', '/v1/decisions/explain', request, { idempotent: true });
  }

  /** Records an event the agent observed in the ledger (e.g. an MCP tool that changed). */
  report(
    type: 'mcp.tool_changed' | 'mcp.tool_blocked',
    subject: string,
    data: Record<string, unknown>,
  ): Promise<{ ledgerIndex: number }> {
    return this.call('POST', '/v1/events', { type, subject, data });
  }

  getDecision(id: string): Promise<Decision> {
    return this.call('GET', `/v1/decisions/${encodeURIComponent(id)}`);
  }

  listDecisions(
    query: {
      status?: string;
      system?: string;
      action?: string;
      environment?: string;
      limit?: number;
      cursor?: string;
    } = {},
  ) {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(query)) if (value !== undefined) params.set(key, String(value));
    return this.call<{ decisions: Decision[]; nextCursor: string | null }>(
      'GET',
      `/v1/decisions${params.size > 0 ? `?${params}` : ''}`,
    );
  }

  /** Waits until the decision leaves pending or `timeoutMs` passes; long-polls in rounds of at most 60 s. */
  async waitForDecision(
    id: string,
    { timeoutMs = 300_000, onWaiting }: { timeoutMs?: number; onWaiting?: (decision: Decision) => void } = {},
  ): Promise<Decision> {
    const deadline = Date.now() + timeoutMs;
    let decision = await this.getDecision(id);
    while (decision.status === 'pending' && Date.now() < deadline) {
      onWaiting?.(decision);
      const round = Math.max(1, Math.min(60_000, deadline - Date.now()));
      decision = await this.call<Decision>(
        'GET',
        `/v1/decisions/${encodeURIComponent(id)}/wait?timeoutMs=${round}`,
      );
    }
    return decision;
  }

  approve(id: string, reason: string, requestHash?: string): Promise<Decision> {
    return this.call('POST', `/v1/decisions/${encodeURIComponent(id)}/approvals`, {
      verdict: 'approve',
      reason,
      ...(requestHash ? { requestHash } : {}),
    });
  }

  reject(id: string, reason: string): Promise<Decision> {
    return this.call('POST', `/v1/decisions/${encodeURIComponent(id)}/approvals`, {
      verdict: 'reject',
      reason,
    });
  }

  reportOutcome(
    id: string,
    status: 'succeeded' | 'failed' | 'rolled_back',
    detail?: string,
  ): Promise<Decision> {
    return this.call('POST', `/v1/decisions/${encodeURIComponent(id)}/outcome`, {
      status,
      ...(detail ? { detail } : {}),
    });
  }

  /** Records a gate run (what `arbiter gate` produced); retried safely thanks to the idempotency key. */
  recordGateRun(run: GateRunReport, idempotencyKey: string = randomUUID()): Promise<RecordedGateRun> {
    return this.call('POST', '/v1/gate-runs', { ...run, idempotencyKey }, { idempotent: true });
  }

  getGateRun(id: string): Promise<RecordedGateRun> {
    return this.call('GET', `/v1/gate-runs/${encodeURIComponent(id)}`);
  }

  listGateRuns(query: { system?: string; version?: string; limit?: number; cursor?: string } = {}) {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(query)) if (value !== undefined) params.set(key, String(value));
    return this.call<{ gateRuns: RecordedGateRun[]; nextCursor: string | null }>(
      'GET',
      `/v1/gate-runs${params.size > 0 ? `?${params}` : ''}`,
    );
  }

  /**
   * Sends production events (at most 10 000 per call). Retried on network failures only when every
   * event has an id: the server refuses repeated ids, so a retry never counts an event twice.
   */
  sendMonitorEvents(system: string, events: readonly MonitorEvent[]): Promise<MonitorBatchResult> {
    return this.call('POST', `/v1/monitor/${encodeURIComponent(system)}/events`, events, {
      idempotent: events.every((event) => event.id !== undefined),
    });
  }

  /** Sends late labels, joined to earlier events by id; safe to retry (a second label is refused). */
  sendMonitorLabels(
    system: string,
    labels: readonly { id: string; label: unknown }[],
  ): Promise<MonitorBatchResult> {
    return this.call('POST', `/v1/monitor/${encodeURIComponent(system)}/labels`, labels, {
      idempotent: true,
    });
  }

  /** Windows starting in [from, to) (RFC 3339 or epoch ms), optionally merged into days. */
  monitorWindows(
    system: string,
    query: { from?: string; to?: string; merge?: 'day' } = {},
  ): Promise<{ system: string; windows: MonitorWindow[] }> {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(query)) if (value !== undefined) params.set(key, String(value));
    return this.call(
      'GET',
      `/v1/monitor/${encodeURIComponent(system)}/windows${params.size > 0 ? `?${params}` : ''}`,
    );
  }

  monitorAlerts(system: string): Promise<{ system: string; alerts: MonitorAlert[] }> {
    return this.call('GET', `/v1/monitor/${encodeURIComponent(system)}/alerts`);
  }

  async listSystems(): Promise<SystemInfo[]> {
    return (await this.call<{ systems: SystemInfo[] }>('GET', '/v1/systems')).systems;
  }

  setFrozen(id: string, frozen: boolean, reason: string): Promise<SystemInfo> {
    return this.call('POST', `/v1/systems/${encodeURIComponent(id)}/${frozen ? 'freeze' : 'unfreeze'}`, {
      reason,
    });
  }

  /** Sets a System's autonomy (e.g. a promotion back after a demotion), never above its document's level. */
  setAutonomy(id: string, level: number, reason: string): Promise<SystemInfo> {
    return this.call('POST', `/v1/systems/${encodeURIComponent(id)}/autonomy`, { level, reason });
  }

  checkpoint(): Promise<string> {
    return this.call('GET', '/v1/ledger/checkpoint', undefined, { accept: 'text/plain' });
  }

  /** Opens an incident (agents: about their own System); `decision` is linked at once. Not retried. */
  openIncident(incident: {
    title: string;
    severity?: 'sev1' | 'sev2' | 'sev3' | 'sev4';
    system?: string;
    decision?: string;
    description?: string;
  }): Promise<Incident> {
    return this.call('POST', '/v1/incidents', incident);
  }

  getIncident(id: string): Promise<Incident> {
    return this.call('GET', `/v1/incidents/${encodeURIComponent(id)}`);
  }

  listIncidents(
    query: {
      status?: 'open' | 'resolved';
      system?: string;
      severity?: string;
      limit?: number;
      cursor?: string;
    } = {},
  ) {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(query)) if (value !== undefined) params.set(key, String(value));
    return this.call<{ incidents: Incident[]; nextCursor: string | null }>(
      'GET',
      `/v1/incidents${params.size > 0 ? `?${params}` : ''}`,
    );
  }

  /** Links a decision, gate run, alert (`system/policy/alert`) or deployment; linking twice is harmless. */
  linkIncident(
    id: string,
    link: { kind: 'decision' | 'gate_run' | 'alert' | 'deployment'; ref: string; note?: string },
  ): Promise<Incident> {
    return this.call('POST', `/v1/incidents/${encodeURIComponent(id)}/links`, link, { idempotent: true });
  }

  resolveIncident(id: string, summary: string): Promise<Incident> {
    return this.call('POST', `/v1/incidents/${encodeURIComponent(id)}/resolve`, { summary });
  }

  /** The accountability trace of an incident (`inc_…`) or a decision (`dec_…`), with ledger proofs. */
  trace(id: string): Promise<Trace> {
    const path = id.startsWith('dec_') ? 'decisions' : 'incidents';
    return this.call('GET', `/v1/${path}/${encodeURIComponent(id)}/trace`);
  }
}
