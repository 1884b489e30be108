import type { PagedContact } from './paging.js';
import type { LedgerProof, Trace, TraceDecision, TraceReplay } from './trace.js';

/** The trace as a person reads it in a terminal: the incident, a timeline, each decision, who answers for it. */

const mark = (proof: LedgerProof | null | undefined) =>
  !proof ? '' : proof.verified ? 'verified' : `NOT VERIFIED (${proof.status})`;

/** One line about who was paged. */
export function describePaged(paged: PagedContact): string {
  const who = paged.person ?? 'nobody named';
  const how =
    paged.source === 'rotation' || paged.source === 'override'
      ? ` via rotation ${paged.rotation}${paged.source === 'override' ? ' (override)' : ''}`
      : paged.source === 'onCall.person'
        ? ' (onCall.person)'
        : '';
  const parts = [
    `${who}${how}`,
    paged.team ? `team ${paged.team}` : undefined,
    paged.pagerdutyRoutingKey ? `PagerDuty key ${paged.pagerdutyRoutingKey}` : undefined,
  ].filter(Boolean);
  return `${parts.join(', ')}${paged.note ? ` — ${paged.note}` : ''}`;
}

/** What the replay says, as a sentence. */
export function describeReplay(replay: TraceReplay): string {
  const rules = replay.rules.map((rule) => `${rule.policy}/${rule.rule}`).join(', ');
  switch (replay.effect) {
    case 'deny':
      return `the current rules would deny it${rules ? `: ${rules}` : ' (no rule fired: the bundle default)'}`;
    case 'require_approval': {
      const from = replay.approvals
        .map((a) => `${a.count} from ${a.from.length > 0 ? a.from.join(' and ') : 'any approver'}`)
        .join('; ');
      const stop = replay.wouldHaveStopped
        ? ''
        : ` — as at the time (${replay.recordedEffect}), so they would not have stopped it`;
      return `the current rules would require approval (${from})${rules ? `: ${rules}` : ''}${stop}`;
    }
    default:
      return 'the current rules would allow it: no rule of the current policies would have stopped it';
  }
}

export function describeDecisionHeadline(decision: TraceDecision): string {
  const where = `${decision.resource.type}:${decision.resource.id}${decision.resource.environment ? ` (${decision.resource.environment})` : ''}`;
  return `${decision.action} ${where} by ${decision.actor.id}: ${decision.status}${decision.statusReason ? ` (${decision.statusReason})` : ''}`;
}

function decisionLines(decision: TraceDecision): string[] {
  const request = decision.request as {
    rationale?: string;
    confidence?: number;
    evidence?: unknown[];
    context?: unknown;
    change?: unknown;
  };
  const lines = [
    `DECISION ${decision.id}  ${describeDecisionHeadline(decision)}  [${decision.state.supported ? mark(decision.ledger) : 'UNVERIFIED: the ledger does not support this state'}]`,
    ...decision.state.problems.map((problem) => `  UNVERIFIED  ${problem}`),
  ];
  if (request.rationale) lines.push(`  rationale:  ${request.rationale}`);
  if (request.confidence !== undefined) lines.push(`  confidence: ${request.confidence}`);
  if (request.change) lines.push(`  change:     ${JSON.stringify(request.change)}`);
  for (const item of request.evidence ?? []) lines.push(`  evidence:   ${JSON.stringify(item)}`);
  if (request.context) lines.push(`  context:    ${JSON.stringify(request.context)}`);
  lines.push(`  verdict:    ${decision.effect}, decided by bundle ${decision.bundle}`);
  for (const rule of decision.rules) {
    const facts = Object.entries(rule.facts)
      .map(([path, value]) => `${path} = ${JSON.stringify(value)}`)
      .join(', ');
    lines.push(
      `    ${rule.effect.padEnd(16)} ${rule.policy}/${rule.rule}: ${rule.message}${facts ? `  [${facts}]` : ''}`,
    );
  }
  for (const approval of decision.approvals)
    lines.push(
      `  ${approval.verdict}d by ${approval.approver}${approval.groups.length ? ` (${approval.groups.join(', ')})` : ''} at ${approval.at}${approval.reason ? `: ${approval.reason}` : ''}  [${mark(approval.ledger)}]`,
    );
  if (decision.outcome)
    lines.push(
      `  outcome:    ${decision.outcome.status} at ${decision.outcome.at}${decision.outcome.detail ? `: ${decision.outcome.detail}` : ''}  [${mark(decision.outcome.ledger)}]`,
    );
  const { release } = decision;
  const run = release.gateRun;
  lines.push(
    `  release:    ${release.system}${release.version ? ` ${release.version}` : ''}${release.versionFrom ? ` (from ${release.versionFrom})` : ''}${
      run
        ? ` — gate run ${run.id} ${run.passed ? 'passed' : 'FAILED'} at ${run.recordedAt}${run.failedChecks.length ? ` (failed: ${run.failedChecks.map((c) => c.check).join(', ')})` : ''}`
        : ' — no gate run recorded before the decision'
    }`,
  );
  if (release.problem) lines.push(`              ${release.problem}`);
  if (decision.replay)
    lines.push(`  today:      ${describeReplay(decision.replay)} (bundle ${decision.replay.bundle})`);
  return lines;
}

export function traceText(trace: Trace): string {
  const lines: string[] = [];
  const { incident } = trace;
  if (incident) {
    lines.push(
      `INCIDENT ${incident.id} (${incident.severity}, ${incident.status}): ${incident.title}  [${mark(incident.ledger)}]`,
      `  opened ${incident.openedAt} by ${incident.openedBy} (${incident.trigger})${incident.system ? ` for ${incident.system}` : ''}`,
      `  paged: ${describePaged(incident.paged)}`,
    );
    if (incident.description) lines.push(`  description: ${incident.description}`);
    if (incident.resolvedAt)
      lines.push(`  resolved ${incident.resolvedAt} by ${incident.resolvedBy}: ${incident.resolution ?? ''}`);
    for (const link of incident.links)
      lines.push(
        `  linked ${link.kind} ${link.ref}${link.note ? ` (${link.note})` : ''} by ${link.linkedBy}  [${mark(link.target ?? link.ledger)}]`,
      );
    lines.push('');
  }
  lines.push('TIMELINE');
  for (const event of trace.timeline)
    lines.push(
      `  ${event.time}  #${String(event.ledgerIndex).padEnd(5)} ${event.type.padEnd(18)} ${event.summary}  [${event.verified ? 'verified' : 'NOT VERIFIED'}]`,
    );
  for (const decision of trace.decisions) lines.push('', ...decisionLines(decision));
  if (trace.alerts.length > 0) {
    lines.push('', 'ALERTS');
    for (const alert of trace.alerts)
      lines.push(
        `  ${alert.time}  ${alert.system}/${alert.policy}/${alert.alert} (${alert.severity}) ${alert.transition}${alert.linked ? ' [linked]' : ''}: ${alert.message}`,
      );
  }
  if (trace.deployments.length > 0) {
    lines.push('', 'DEPLOYMENTS');
    for (const deployment of trace.deployments)
      lines.push(
        `  ${deployment.ref}${deployment.note ? `: ${deployment.note}` : ''} (linked by ${deployment.linkedBy})`,
      );
  }
  lines.push('', 'ACCOUNTABLE');
  for (const owner of trace.accountability) {
    lines.push(
      `  ${owner.system} (${owner.kind}${owner.autonomy === null ? '' : `, autonomy ${owner.autonomy}`}${owner.riskTier ? `, risk ${owner.riskTier}` : ''}, ${owner.status})`,
      `    owner:   ${owner.owner.team ?? '?'} — ${owner.owner.person ?? '?'}`,
      `    on call: ${describePaged(owner.paged)} (as of ${owner.paged.at})`,
    );
  }
  const checkpoint = trace.checkpoint;
  lines.push(
    '',
    checkpoint
      ? `PROOFS  ${trace.proofs.verified} of ${trace.proofs.total} entries verified against checkpoint ${checkpoint.size} of ${checkpoint.origin} (signature ${checkpoint.signatureValid ? 'valid' : 'INVALID'})${trace.verified ? '' : ' — NOT ALL VERIFIED'}`
      : `PROOFS  no signed checkpoint yet: ${trace.proofs.total} entries unproven`,
  );
  return lines.join('\n');
}
