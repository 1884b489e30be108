import { randomBytes } from 'node:crypto';
import { ArbiterError } from '../core/errors.js';
import {
  type Check,
  type CheckResult,
  type CheckStatus,
  type Evidence,
  evidenceOf,
  type Identity,
  type ProbeActionRequest,
  type RedteamContext,
  type StateAuditRun,
} from './check.js';
import { readCheckpoint, type VerifiedCheckpoint } from './checkpoint.js';
import { authenticationChecks } from './checks/authentication.js';
import { authorizationChecks } from './checks/authorization.js';
import { disclosureChecks, tokenEchoCheck } from './checks/disclosure.js';
import { failClosedChecks } from './checks/fail-closed.js';
import { hostileInputChecks } from './checks/hostile-input.js';
import { ledgerChecks } from './checks/ledger.js';
import { loadChecks } from './checks/load.js';
import { ownershipChecks } from './checks/ownership.js';
import { rateLimitCheck } from './checks/rate-limit.js';
import { separationChecks } from './checks/separation.js';
import { defaultPendingRequest, once, othersDecision, pendingDecision } from './fixtures.js';
import { Prober } from './http.js';

/**
 * Every check in the order it runs. The load checks spend the agent token's byte budget and the
 * rate limit its request budget, so they run after everything else that uses that token (the rate
 * limit sends no bodies); the token-echo scan runs last to see every answer.
 */
export const allChecks: readonly Check[] = Object.freeze([
  ...authenticationChecks,
  ...authorizationChecks,
  ...ownershipChecks,
  ...separationChecks,
  ...failClosedChecks,
  ...hostileInputChecks,
  ...disclosureChecks,
  ...ledgerChecks,
  ...loadChecks,
  rateLimitCheck,
  tokenEchoCheck,
]);

export type TokenRole = 'agent' | 'approver' | 'auditor' | 'admin';

export interface RedteamOptions {
  url: string;
  tokens: { agent: string; approver: string; auditor?: string; admin?: string };
  /** The ledger's verifier key (signed-note format), pinned by the operator. */
  ledgerKey?: string;
  /** A request that waits for approval under the target's policies (default: a big prod deploy). */
  pendingRequest?: ProbeActionRequest;
  /** Check ids or areas not to run. */
  skip?: readonly string[];
  /** Run the load checks (many connections, large bodies), which load the target on purpose. */
  load?: boolean;
  /** With database access (`--db`): the state audit LED-04 runs. */
  stateAudit?: StateAuditRun;
  /** Per-request timeout. */
  timeoutMs?: number;
  /** Called as each check finishes (progress). */
  onResult?: (result: CheckResult) => void;
}

export interface RedteamReport {
  target: string;
  startedAt: string;
  durationMs: number;
  identities: Partial<Record<TokenRole, Identity>>;
  /** What the run recorded on the target, beyond refused requests. */
  writes: string[];
  results: CheckResult[];
  summary: Record<CheckStatus, number>;
}

/** At most this many evidence lines per check: the first ones and the last ones. */
const evidenceHead = 6;
const evidenceTail = 2;

/** Runs the red-team suite against a running Arbiter. Throws ARB_ERR_USAGE when it cannot start. */
export async function runRedteam(options: RedteamOptions): Promise<RedteamReport> {
  const started = new Date();
  const runId = randomBytes(6).toString('hex');
  const tokens = Object.fromEntries(Object.entries(options.tokens).filter(([, token]) => token)) as Record<
    string,
    string
  >;
  let url: URL;
  try {
    url = new URL(options.url);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('not http(s)');
  } catch {
    throw new ArbiterError('ARB_ERR_USAGE', `--url ${options.url} is not an http:// or https:// URL`);
  }
  const http = new Prober(url.href, tokens, options.timeoutMs);
  const identities = await preflight(http, tokens);

  const writes: string[] = [];
  const pendingRequest = options.pendingRequest ?? defaultPendingRequest(runId);
  const first = await readCheckpoint(http, options.ledgerKey);
  const firstCheckpoint = async (): Promise<{ value: VerifiedCheckpoint } | { missing: string }> =>
    'checkpoint' in first
      ? { value: first.checkpoint }
      : { missing: `at the start of the run: ${first.problem}` };
  const approverPending = pendingDecision(http, 'approver', pendingRequest, runId, writes);
  const ctx: RedteamContext = {
    http,
    runId,
    identities: identities as RedteamContext['identities'],
    secrets: Object.values(tokens),
    pendingRequest,
    firstCheckpoint: once(firstCheckpoint),
    agentPending: pendingDecision(http, 'agent', pendingRequest, runId, writes),
    approverPending,
    othersDecision: othersDecision(http, approverPending, runId, writes),
    wrote: (what) => writes.push(what),
    ...(options.ledgerKey ? { ledgerKey: options.ledgerKey } : {}),
    ...(options.stateAudit ? { stateAudit: options.stateAudit } : {}),
  };

  const skipped = new Set(options.skip ?? []);
  const results: CheckResult[] = [];
  for (const check of allChecks) {
    const from = http.exchanges.length;
    const checkStarted = Date.now();
    let verdict: { status: CheckStatus; note?: string };
    if (skipped.has(check.id) || skipped.has(check.area))
      verdict = { status: 'skip', note: 'skipped with --skip' };
    else if (check.load && !options.load)
      verdict = { status: 'skip', note: 'a load check: it runs only with --load' };
    else {
      try {
        verdict = await check.run(ctx);
      } catch (error) {
        verdict = { status: 'fail', note: `the check could not finish: ${(error as Error).message}` };
      }
    }
    const result: CheckResult = {
      id: check.id,
      area: check.area,
      title: check.title,
      status: verdict.status,
      ...(verdict.note ? { note: verdict.note } : {}),
      evidence: capped(evidenceOf(http.exchanges.slice(from), tokens)),
      durationMs: Date.now() - checkStarted,
    };
    results.push(result);
    options.onResult?.(result);
  }
  const summary = { pass: 0, fail: 0, skip: 0 };
  for (const result of results) summary[result.status]++;
  return {
    target: http.url,
    startedAt: started.toISOString(),
    durationMs: Date.now() - started.getTime(),
    identities,
    writes,
    results,
    summary,
  };
}

function capped(evidence: Evidence[]): Evidence[] {
  if (evidence.length <= evidenceHead + evidenceTail + 1) return evidence;
  return [
    ...evidence.slice(0, evidenceHead),
    {
      request: `… ${evidence.length - evidenceHead - evidenceTail} more requests`,
      status: 0,
      response: '',
    },
    ...evidence.slice(-evidenceTail),
  ];
}

/**
 * The target must answer, and each token must be what its option says. A token the target
 * refuses (401) or that has another role is the operator's mistake, not a finding: usage error.
 * A target that answers without saying who the token is gets checked anyway (and will fail).
 */
async function preflight(
  http: Prober,
  tokens: Record<string, string>,
): Promise<Partial<Record<TokenRole, Identity>>> {
  const health = await http.send({ method: 'GET', path: '/healthz' });
  if (health.status === 0) {
    const error = http.exchanges.at(-1)?.error ?? 'no answer';
    throw new ArbiterError('ARB_ERR_USAGE', `cannot reach ${http.url}: ${error}`);
  }
  const identities: Partial<Record<TokenRole, Identity>> = {};
  for (const role of Object.keys(tokens) as TokenRole[]) {
    const me = await http.send({ method: 'GET', path: '/v1/me', as: role });
    if (me.status === 401)
      throw new ArbiterError(
        'ARB_ERR_USAGE',
        `the --${role}-token was refused by ${http.url} (401): check the token`,
      );
    const body = (me.body ?? {}) as Identity;
    if (me.status === 200 && typeof body.role === 'string' && body.role !== role)
      throw new ArbiterError(
        'ARB_ERR_USAGE',
        `the --${role}-token is a token of role ${body.role}, not ${role}`,
      );
    identities[role] = {
      ...(typeof body.id === 'string' ? { id: body.id } : {}),
      ...(typeof body.role === 'string' ? { role: body.role } : {}),
      ...(typeof body.systemId === 'string' ? { systemId: body.systemId } : {}),
      ...(Array.isArray(body.groups) ? { groups: body.groups } : {}),
    };
  }
  return identities;
}
