import { dashboardLink } from '../../core/dashboard-links.js';
import { ArbiterError } from '../../core/errors.js';
import type { JsonObject } from '../../core/json.js';
import type { DecisionRow } from '../../decisions/records.js';
import { agentTitles, type HookAgent } from '../../hooks/agents.js';
import { type HookVerdict, hookAnswer } from '../../hooks/answers.js';
import { type HookCall, isHookPayloadProblem, readHookCall } from '../../hooks/payload.js';
import { type HookClient, hookIdempotencyKey, hookRequest } from '../../hooks/request.js';
import type { ShellSyntax } from '../../hooks/shell-facts.js';
import { actorRef, type Principal } from '../../identity/principal.js';
import type { Store } from '../../store/store.js';
import type { DecisionService } from '../decisions/decisions.js';
import type { DecisionView } from '../decisions/view.js';

/** How the server answers coding-agent hooks (`arbiter serve` options and environment). */
export interface HookOptions {
  /** The resource environment of every tool call (default `development`). */
  environment: string;
  /** `no-opinion` answers allowed calls with an empty answer, so the agent's own permission prompts still apply. */
  allowAnswer: 'allow' | 'no-opinion';
  /** Longest wait for a pending approval a caller may ask for, in seconds. */
  maxWaitSeconds: number;
  /** The dashboard, for approval links in answers. */
  dashboardUrl?: string;
}

export const defaultHookOptions: HookOptions = {
  environment: 'development',
  allowAnswer: 'allow',
  maxWaitSeconds: 300,
};

/** One hook call as the route hands it over. */
export interface HookInvocation {
  agent: HookAgent;
  payload: unknown;
  client: HookClient;
  /** Seconds to wait for a pending approval (capped by `maxWaitSeconds`). */
  waitSeconds: number;
  /** What a pending decision is answered with: Claude Code's headless `defer`, or a denial. */
  pending: 'defer' | 'deny';
}

export interface HookResult {
  /** The agent's native answer, printed verbatim by `arbiter hook`. */
  answer: JsonObject;
  /** The decision this call asked for or reported on, when there is one. */
  decisionId?: string;
}

/** Statuses after which a decision has been used up: the same call again is a new decision. */
const usedUp = new Set(['started', 'expired', 'revoked', 'withdrawn']);
/** How many decisions one session may make for one identical tool call (each generation is one use). */
const maxGenerations = 10_000;

/**
 * Coding-agent hooks: a before-tool call asks for a decision (the same call — retried, resumed —
 * finds the same decision by its key, and an allowed one is claimed once through the decisions'
 * single-use start); an after-tool call reports the outcome of the decision it ran under.
 */
export class HookService {
  /** Key → the generation in use, a hint only (the store is the truth; replicas each keep their own). */
  private readonly generations = new Map<string, number>();

  constructor(
    private readonly decisions: DecisionService,
    private readonly store: Store,
    private readonly syntax: ShellSyntax,
    private readonly options: HookOptions,
  ) {}

  async handle(principal: Principal, invocation: HookInvocation): Promise<HookResult> {
    const read = readHookCall(invocation.agent, invocation.payload);
    if (isHookPayloadProblem(read))
      throw new ArbiterError(
        'ARB_ERR_HOOK_PAYLOAD',
        `not a ${agentTitles[invocation.agent]} hook payload Arbiter answers: ${describeProblem(read)}`,
        { details: { ...read } },
      );
    return read.phase === 'before' ? this.before(principal, read, invocation) : this.after(principal, read);
  }

  private async before(
    principal: Principal,
    call: HookCall,
    invocation: HookInvocation,
  ): Promise<HookResult> {
    const request = hookRequest(call, invocation.client, {
      environment: this.options.environment,
      syntax: this.syntax,
    });
    const key = hookIdempotencyKey(call);
    let decision = await this.openDecision(principal, key, request);
    const waitSeconds = Math.min(Math.max(0, invocation.waitSeconds), this.options.maxWaitSeconds);
    if (decision.status === 'pending' && waitSeconds > 0)
      decision = await this.decisions.wait(principal, decision.id, waitSeconds * 1000);
    // The claim: an allowed decision runs once. Two identical calls at once (an agent running the
    // same tool twice in parallel) race for it; the loser takes the next decision of the same call.
    for (let attempt = 0; decision.status === 'allowed'; attempt++) {
      try {
        decision = await this.decisions.start(principal, decision.id);
      } catch (error) {
        if (
          !(error instanceof ArbiterError && error.code === 'ARB_ERR_DECISION_ALREADY_STARTED') ||
          attempt >= 3
        )
          throw error;
        decision = await this.openDecision(principal, key, request);
        continue;
      }
      return {
        answer: hookAnswer(
          call,
          this.options.allowAnswer === 'no-opinion'
            ? { kind: 'no-opinion' }
            : { kind: 'allow', reason: allowedReason(decision) },
        ),
        decisionId: decision.id,
      };
    }
    return { answer: hookAnswer(call, this.refusal(call, decision, invocation)), decisionId: decision.id };
  }

  /**
   * The decision this call runs under: the one its key names, unless that one was used up (then
   * the next generation's). A changed request under the same key (another branch, say) is a new
   * decision too.
   */
  private async openDecision(
    principal: Principal,
    key: string,
    request: ReturnType<typeof hookRequest>,
  ): Promise<DecisionView> {
    const start = this.generations.get(key) ?? 0;
    for (let generation = start; generation < maxGenerations; generation++) {
      let decision: DecisionView;
      try {
        ({ decision } = await this.decisions.request(principal, {
          ...request,
          idempotencyKey: keyOf(key, generation),
        }));
      } catch (error) {
        if (error instanceof ArbiterError && error.code === 'ARB_ERR_IDEMPOTENCY_CONFLICT') continue;
        throw error;
      }
      if (usedUp.has(decision.status) || decision.outcome) continue;
      this.remember(key, generation);
      return decision;
    }
    throw new ArbiterError(
      'ARB_ERR_HOOK_PAYLOAD',
      `this tool call was repeated more than ${maxGenerations} times in one session`,
      {
        details: { reason: 'too-many-repeats' },
      },
    );
  }

  /** Reports the outcome of the decision a finished tool call ran under (started, no outcome yet). */
  private async after(principal: Principal, call: HookCall): Promise<HookResult> {
    const key = hookIdempotencyKey(call);
    const decision = await this.runningDecision(actorRef(principal), key);
    if (!decision) return { answer: {} };
    await this.decisions.reportOutcome(principal, decision.id, {
      status: call.succeeded === false ? 'failed' : 'succeeded',
      detail: `${agentTitles[call.agent]} ${call.event}`,
    });
    return { answer: hookAnswer(call, { kind: 'no-opinion' }), decisionId: decision.id };
  }

  private async runningDecision(actor: string, key: string): Promise<DecisionRow | undefined> {
    const running = (row: DecisionRow | undefined) => row?.status === 'started' && !row.outcome;
    const hint = this.generations.get(key);
    if (hint !== undefined) {
      const row = await this.store.decisionByIdempotencyKey(actor, keyOf(key, hint));
      if (running(row)) return row;
    }
    let found: DecisionRow | undefined;
    for (let generation = 0; generation < maxGenerations; generation++) {
      const row = await this.store.decisionByIdempotencyKey(actor, keyOf(key, generation));
      if (!row) break;
      if (running(row)) found = row;
    }
    return found;
  }

  private remember(key: string, generation: number): void {
    // A bounded hint: forgetting costs a scan, never a wrong answer.
    if (this.generations.size >= 50_000) this.generations.clear();
    this.generations.set(key, generation);
  }

  private refusal(call: HookCall, decision: DecisionView, invocation: HookInvocation): HookVerdict {
    const why = reasonsText(decision);
    if (decision.status === 'pending') {
      const needs = decision.approvals.required
        .filter((requirement) => !requirement.met)
        .map((requirement) => `${requirement.count} from ${requirement.from.join(' and ') || 'any approver'}`)
        .join('; ');
      const link = this.options.dashboardUrl
        ? `approve at ${dashboardLink(this.options.dashboardUrl, { kind: 'decision', id: decision.id })} or: `
        : '';
      const defer =
        invocation.pending === 'defer' && call.agent === 'claude-code' && call.event === 'PreToolUse';
      return {
        kind: 'pending',
        defer,
        reason: `Arbiter: ${decision.id} needs approval${needs ? ` (${needs})` : ''}${why ? `: ${why}` : ''}. Ask another person to ${link}arbiter approve ${decision.id} --reason "…"${defer ? '; then resume this session' : '; then retry'}.`,
      };
    }
    return {
      kind: 'deny',
      reason: `Arbiter denied ${decision.action} (${decision.id}): ${why || decision.statusReason || decision.status}`,
    };
  }
}

function keyOf(key: string, generation: number): string {
  return generation === 0 ? key : `${key}#${generation}`;
}

/** The rules that decided, as `policy/rule: message`. */
function reasonsText(decision: DecisionView): string {
  const effect = decision.status === 'pending' ? 'require_approval' : 'deny';
  const decisive = decision.reasons.filter((reason) => reason.effect === effect);
  const reasons = decisive.length > 0 ? decisive : decision.reasons;
  const text = reasons.map((reason) => `${reason.policy}/${reason.rule}: ${reason.message}`).join('; ');
  return decision.statusReason && decision.status !== 'pending' && !text ? decision.statusReason : text;
}

function allowedReason(decision: DecisionView): string {
  const rules = decision.reasons.map((reason) => `${reason.policy}/${reason.rule}`).join(', ');
  return `Arbiter allowed ${decision.action} (${decision.id})${rules ? `: ${rules}` : ''}`;
}

function describeProblem(problem: Exclude<ReturnType<typeof readHookCall>, HookCall>): string {
  switch (problem.reason) {
    case 'not-an-object':
      return 'the body is not a JSON object';
    case 'unknown-event':
      return problem.event === undefined
        ? 'hook_event_name is missing'
        : `the event ${JSON.stringify(problem.event).slice(0, 80)} is not one Arbiter answers`;
    case 'missing-field':
      return `${problem.field} is missing`;
    case 'wrong-type':
      return `${problem.field} has the wrong type`;
  }
}
