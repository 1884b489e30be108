import { randomUUID } from 'node:crypto';
import type { Static } from '@sinclair/typebox';
import type { DecisionRequest } from '../app/decisions/requests.js';
import type { DecisionView } from '../app/decisions/view.js';
import type { GateRunReport } from '../app/gate-runs/report.js';
import type { GateRunView } from '../app/gate-runs/view.js';
import type { LinkIncidentRequest, OpenIncidentRequest } from '../app/incidents/requests.js';
import type { MonitorAlertView } from '../app/monitoring/alert-view.js';
import type { IngestResult, LabelResult } from '../app/monitoring/batch-results.js';
import type { MonitorWindowView } from '../app/monitoring/window-views.js';
import type { ReportedEvent } from '../app/reports/reports.js';
import type { SystemView } from '../app/systems/view.js';
import type { IncidentView } from '../incidents/incident.js';
import type { Trace } from '../incidents/trace.js';
import type { MonitorEvent } from '../monitor/window.js';
import type { Verdict } from '../policy/evaluate-action.js';
import type { PageOf } from '../server/pagination.js';
import type { DecisionListQuery, GateRunListQuery, IncidentListQuery } from '../server/schemas.js';

/**
 * arbiter/client — a small typed client for agents and tools: ask before acting, wait for the
 * humans, report what happened. Retries network failures, 429 and 5xx with the same
 * idempotency key, so a retried request never creates a second decision. Its types are the
 * server's wire shapes (derived from the schemas /openapi.json is made of), never copies.
 */

/** What `requestAction` sends: an action request, with an optional idempotency key. */
export type ActionRequestBody = DecisionRequest;
/** A decision with its explanation, approvals and outcome. */
export type Decision = DecisionView;
/** A dry-run verdict: the effect and why, without a decision being recorded. */
export type Explanation = Verdict;
/** A registered System with its owner, effective autonomy, error budget and track record. */
export type SystemInfo = SystemView;
/** What `arbiter gate` produced for one release, as sent to `POST /v1/gate-runs`. */
export type { GateRunReport };
/** One check of a gate run report. */
export type GateCheckReport = GateRunReport['checks'][number];
/** A gate run as the server recorded it; `report` only when read by id. */
export type RecordedGateRun = GateRunView;
/** An incident; its links only when read by id. */
export type Incident = IncidentView;
export type { IncidentLinkView } from '../incidents/incident.js';
export type * from '../incidents/trace.js';
export type { MonitorEvent };
/** What the server did with a batch of monitoring events (`IngestResult`) or labels (`LabelResult`). */
export type MonitorBatchResult = IngestResult | LabelResult;
export type { IngestResult, LabelResult };
/** One monitoring window (or, merged, one day) with its metrics. */
export type MonitorWindow = MonitorWindowView;
/** The state of one monitoring alert (`lastWindow`: start of the last window stepped, epoch ms). */
export type MonitorAlert = MonitorAlertView;
/** A page of a list: its items under the list's name, and the cursor of the next page (null on the last). */
export type { PageOf };

/** Page queries take `limit` as a number; the other parameters are the route's own. */
type ListQuery<Q> = Omit<Q, 'limit'> & { limit?: number };
export type DecisionQuery = ListQuery<Static<typeof DecisionListQuery>>;
export type GateRunQuery = ListQuery<Static<typeof GateRunListQuery>>;
export type IncidentQuery = ListQuery<Static<typeof IncidentListQuery>>;

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

/** `?a=1&b=2` of the parameters that are set, or nothing. */
function queryString(query: object): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) if (value !== undefined) params.set(key, String(value));
  return params.size > 0 ? `?${params}` : '';
}

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
    type: ReportedEvent['type'],
    subject: string,
    data: ReportedEvent['data'],
  ): Promise<{ ledgerIndex: number }> {
    return this.call('POST', '/v1/events', { type, subject, data });
  }

  getDecision(id: string): Promise<Decision> {
    return this.call('GET', `/v1/decisions/${encodeURIComponent(id)}`);
  }

  listDecisions(query: DecisionQuery = {}): Promise<PageOf<'decisions', Decision>> {
    return this.call('GET', `/v1/decisions${queryString(query)}`);
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

  /**
   * Claims an allowed decision as the caller starts acting on it: call it right before running.
   * It succeeds once; a second claim, a decision whose execution window passed, or one revoked by
   * a freeze throws an `ArbiterApiError` (409) — do not run then. Never retried: a claim that may
   * have reached the server is not sent twice.
   */
  start(id: string): Promise<Decision> {
    return this.call('POST', `/v1/decisions/${encodeURIComponent(id)}/start`, {});
  }

  /** Gives up on a pending (or allowed, not started) decision, so nobody approves or starts it later. */
  withdraw(id: string, reason: string): Promise<Decision> {
    return this.call('POST', `/v1/decisions/${encodeURIComponent(id)}/withdraw`, { reason });
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

  listGateRuns(query: GateRunQuery = {}): Promise<PageOf<'gateRuns', RecordedGateRun>> {
    return this.call('GET', `/v1/gate-runs${queryString(query)}`);
  }

  /**
   * Sends production events (at most 10 000 per call). Retried on network failures only when every
   * event has an id: the server refuses repeated ids, so a retry never counts an event twice.
   */
  sendMonitorEvents(system: string, events: readonly MonitorEvent[]): Promise<IngestResult> {
    return this.call('POST', `/v1/monitor/${encodeURIComponent(system)}/events`, events, {
      idempotent: events.every((event) => event.id !== undefined),
    });
  }

  /** Sends late labels, joined to earlier events by id; safe to retry (a second label is refused). */
  sendMonitorLabels(system: string, labels: readonly { id: string; label: unknown }[]): Promise<LabelResult> {
    return this.call('POST', `/v1/monitor/${encodeURIComponent(system)}/labels`, labels, {
      idempotent: true,
    });
  }

  /** Windows starting in [from, to) (RFC 3339 or epoch ms), optionally merged into days. */
  monitorWindows(
    system: string,
    query: { from?: string; to?: string; merge?: 'day' } = {},
  ): Promise<{ system: string; windows: MonitorWindow[] }> {
    return this.call('GET', `/v1/monitor/${encodeURIComponent(system)}/windows${queryString(query)}`);
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

  /** The latest signed checkpoint, followed by the cosignature lines of the witnesses that cosigned it. */
  checkpoint(): Promise<string> {
    return this.call('GET', '/v1/ledger/checkpoint', undefined, { accept: 'text/plain' });
  }

  /** The witnesses' cosignature/v1 verifier keys, one per line (check them against their operators'). */
  witnessKeys(): Promise<string> {
    return this.call('GET', '/v1/ledger/witnesses', undefined, { accept: 'text/plain' });
  }

  /** Opens an incident (agents: about their own System); `decision` is linked at once. Not retried. */
  openIncident(incident: OpenIncidentRequest): Promise<Incident> {
    return this.call('POST', '/v1/incidents', incident);
  }

  getIncident(id: string): Promise<Incident> {
    return this.call('GET', `/v1/incidents/${encodeURIComponent(id)}`);
  }

  listIncidents(query: IncidentQuery = {}): Promise<PageOf<'incidents', Incident>> {
    return this.call('GET', `/v1/incidents${queryString(query)}`);
  }

  /** Links a decision, gate run, alert (`system/policy/alert`) or deployment; linking twice is harmless. */
  linkIncident(id: string, link: LinkIncidentRequest): Promise<Incident> {
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
