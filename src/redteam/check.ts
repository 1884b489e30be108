import type { Exchange, Prober } from './http.js';

/** The areas checks are grouped in, in the order they run. */
export const checkAreas = [
  'authentication',
  'authorization',
  'ownership',
  'separation-of-duties',
  'fail-closed',
  'hostile-input',
  'disclosure',
  'ledger',
  'load',
  'rate-limit',
] as const;
export type CheckArea = (typeof checkAreas)[number];

export type CheckStatus = 'pass' | 'fail' | 'skip';

/** What a check concluded; `note` says why it failed or was skipped (or a detail of a pass). */
export interface CheckVerdict {
  status: CheckStatus;
  note?: string;
}

/** One line of evidence: the request sent and what came back. */
export interface Evidence {
  request: string;
  status: number;
  response: string;
}

export interface CheckResult {
  id: string;
  area: CheckArea;
  title: string;
  status: CheckStatus;
  note?: string;
  evidence: Evidence[];
  durationMs: number;
}

/** Who a token is, from `GET /v1/me` (undefined fields when the target did not say). */
export interface Identity {
  id?: string;
  role?: string;
  systemId?: string | null;
  groups?: string[];
}

/** The action request the suite uses where it needs a decision that waits for approval. */
export interface ProbeActionRequest {
  action: string;
  resource: { type: string; id: string; environment?: string };
  change?: Record<string, unknown>;
  rationale?: string;
  confidence?: number;
  context?: Record<string, unknown>;
}

/** A decision as the checks read it (only the fields they use). */
export interface ProbeDecision {
  id: string;
  status: string;
  requestHash?: string;
  actor?: { id?: string };
  approvals?: {
    required?: { count?: number; from?: string[] }[];
    received?: { approver?: string }[];
  };
  ledgerIndex?: number;
}

/** Something a check needs that another check may already have made (a decision, a checkpoint). */
export type Fixture<T> = () => Promise<{ value: T } | { missing: string }>;

/** Everything checks share: the client, who the tokens are, and lazily made fixtures. */
export interface RedteamContext {
  http: Prober;
  /** A random tag for this run, in idempotency keys and request bodies, so runs never collide. */
  runId: string;
  identities: { agent: Identity; approver: Identity; auditor?: Identity; admin?: Identity };
  /** Token values, for the check that looks for them in responses. */
  secrets: readonly string[];
  /** The request that should wait for approval under the target's policies. */
  pendingRequest: ProbeActionRequest;
  /** The signed checkpoint read before any check wrote anything. */
  firstCheckpoint: Fixture<{ note: string; size: number; root: Uint8Array }>;
  /** A pending decision requested by the agent token. */
  agentPending: Fixture<ProbeDecision>;
  /** A pending decision requested by the approver token (a human). */
  approverPending: Fixture<ProbeDecision>;
  /** A decision of an actor other than the agent's System (allowed ones preferred). */
  othersDecision: Fixture<ProbeDecision>;
  /** Notes what a check recorded on the target (beyond refused requests), for the report. */
  wrote(what: string): void;
  /** Pinned ledger verifier key, when the operator gave one. */
  ledgerKey?: string;
  /** The state audit of the target's database, when the operator gave `--db` (see RedteamOptions). */
  stateAudit?: StateAuditRun;
}

/**
 * Runs `arbiter ledger verify --db`'s audits on the target's database: the log against its
 * checkpoints, then every table row against the entries. `problems` names each failure.
 */
export type StateAuditRun = () => Promise<{ ok: boolean; checked: string; problems: string[] }>;

/** A check: runs its requests through `ctx.http` and says pass, fail or skip. */
export interface Check {
  id: string;
  area: CheckArea;
  title: string;
  /** A load check loads the target on purpose (many connections, large bodies): it runs only with --load. */
  load?: boolean;
  run(ctx: RedteamContext): Promise<CheckVerdict>;
}

export const pass = (note?: string): CheckVerdict => ({ status: 'pass', ...(note ? { note } : {}) });
export const fail = (note: string): CheckVerdict => ({ status: 'fail', note });
export const skip = (note: string): CheckVerdict => ({ status: 'skip', note });

/** The fixtures that hold a decision. */
export type DecisionFixture = 'agentPending' | 'approverPending' | 'othersDecision';

/**
 * A check's `run` that probes the decision of `fixture`: it skips when the fixture is missing,
 * else passes with `probed <id>` unless `probe` returns a verdict of its own.
 */
export function onDecision(
  fixture: DecisionFixture,
  probe: (ctx: RedteamContext, decision: ProbeDecision) => Promise<CheckVerdict | undefined>,
): Check['run'] {
  return async (ctx) => {
    const decision = await ctx[fixture]();
    if ('missing' in decision) return skip(decision.missing);
    return (await probe(ctx, decision.value)) ?? pass(`probed ${decision.value.id}`);
  };
}

/** Runs expectations in order; the first one that does not hold is the failure. */
export function firstFailure(problems: readonly (string | undefined)[]): CheckVerdict | undefined {
  const problem = problems.find((p) => p !== undefined);
  return problem === undefined ? undefined : fail(problem);
}

/** Evidence lines from exchanges, with every token replaced by its name. */
export function evidenceOf(
  exchanges: readonly Exchange[],
  tokens: Readonly<Record<string, string>>,
  width = 200,
): Evidence[] {
  const redact = (text: string) => redactTokens(text, tokens);
  return exchanges.map((exchange) => {
    const { request, response } = exchange;
    const who =
      request.as === undefined ? '' : ` [${request.as in tokens ? request.as : redact(request.as)}]`;
    const path = request.path.length > 120 ? `${request.path.slice(0, 117)}…` : request.path;
    const sent = exchange.requestExcerpt ? ` ${shorten(redact(exchange.requestExcerpt), width)}` : '';
    const answer = exchange.error
      ? `no answer: ${exchange.error}`
      : shorten(redact(response.text.replace(/\s+/g, ' ').trim()), width) || '(empty body)';
    return {
      request: `${request.method} ${redact(path)}${who}${sent}`,
      status: response.status,
      response: answer,
    };
  });
}

/** Replaces each token value by `<name token>`, so reports can be shared. */
export function redactTokens(text: string, tokens: Readonly<Record<string, string>>): string {
  let out = text;
  for (const [name, token] of Object.entries(tokens))
    if (token) out = out.split(token).join(`<${name} token>`);
  // Altered copies of real tokens (a flipped or cut last character) would give most of them away.
  return out.replace(/\barb_[A-Za-z0-9_-]{6,}/g, (token) => `${token.slice(0, 8)}…`);
}

function shorten(text: string, width: number): string {
  return text.length > width ? `${text.slice(0, width - 1)}…` : text;
}
