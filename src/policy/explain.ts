import type { JsonValue } from '../core/json.js';
import type { Verdict } from './evaluate-action.js';
import type { GateEvaluation } from './evaluate-gate.js';

function factsLine(facts: Record<string, JsonValue>, missing?: string[]): string {
  const parts = Object.entries(facts).map(([path, value]) => `${path} = ${JSON.stringify(value)}`);
  for (const path of missing ?? []) parts.push(`${path} is missing`);
  return parts.join(', ');
}

/** A verdict as a person reads it: the effect, why, what approvals are needed, what did not fire. */
export function explainVerdict(verdict: Verdict): string {
  const lines = [`effect: ${verdict.effect}${verdict.defaulted ? ' (no rule fired; bundle default)' : ''}`];
  if (verdict.reasons.length > 0) {
    lines.push('because:');
    for (const reason of verdict.reasons) {
      lines.push(`  ${reason.effect.padEnd(16)} ${reason.policy}/${reason.rule}: ${reason.message}`);
      const facts = factsLine(reason.facts, reason.missing);
      if (facts) lines.push(`${' '.repeat(19)}${facts}`);
    }
  }
  if (verdict.approvals.length > 0) {
    lines.push('approvals required (all of them):');
    for (const approval of verdict.approvals) {
      const from = approval.from.length > 0 ? ` from ${approval.from.join(' and ')}` : ' from any approver';
      const stepUp = [
        approval.assurance === 'mfa' ? 'signed in with MFA' : '',
        approval.maxAuthAge ? `signed in within ${approval.maxAuthAge}` : '',
      ].filter(Boolean);
      lines.push(
        `  ${approval.count} approver${approval.count === 1 ? '' : 's'}${from}${stepUp.length > 0 ? ` (${stepUp.join(', ')})` : ''}, within ${approval.ttl} (${approval.rules.join(', ')})`,
      );
    }
  }
  if (verdict.notFired.length > 0) {
    lines.push('did not fire:');
    for (const rule of verdict.notFired) {
      const facts = factsLine(rule.facts, rule.missing);
      const error = rule.error ? ` [error: ${rule.error}]` : '';
      lines.push(
        `  ${rule.effect.padEnd(16)} ${rule.policy}/${rule.rule}${facts ? `  (${facts})` : ''}${error}`,
      );
    }
  }
  if (verdict.shadow.length > 0 || verdict.shadowEffect !== verdict.effect) {
    lines.push(`shadow (not enforced): would be ${verdict.shadowEffect}`);
    for (const reason of verdict.shadow)
      lines.push(`  ${reason.effect.padEnd(16)} ${reason.policy}/${reason.rule}: ${reason.message}`);
  }
  lines.push(`bundle: ${verdict.bundle}`);
  return lines.join('\n');
}

/** A gate evaluation as a person reads it: each check with actual values and what was expected. */
export function explainGate(gate: GateEvaluation): string {
  const lines = [`gate: ${gate.passed ? 'passed' : 'FAILED'}`];
  for (const check of gate.checks) {
    const mark =
      check.status === 'passed'
        ? 'pass'
        : check.status === 'waived'
          ? 'WAIVED'
          : check.severity === 'warning'
            ? 'warn'
            : 'FAIL';
    lines.push(`  ${mark.padEnd(6)} ${check.policy}/${check.check}: ${check.message}`);
    if (check.status === 'passed') continue;
    const facts = factsLine(check.facts, check.missing);
    lines.push(`         expected: ${check.expected}${facts ? `\n         actual:   ${facts}` : ''}`);
    const findings = (check.findings ?? []).filter((finding) => finding.failing);
    for (const finding of findings.slice(0, 20))
      lines.push(
        `         - ${finding.message}${finding.waivedBy ? ` [waived by ${finding.waivedBy}]` : ''}`,
      );
    if (findings.length > 20) lines.push(`         … and ${findings.length - 20} more`);
    if (check.waiver)
      lines.push(
        `         waived by ${check.waiver.name} (owner ${check.waiver.owner}, until ${check.waiver.expires}): ${check.waiver.reason}`,
      );
    for (const expired of check.expiredWaivers ?? [])
      lines.push(`         waiver ${expired.name} expired at ${expired.expired} and no longer applies`);
  }
  lines.push(`bundle: ${gate.bundle}`);
  return lines.join('\n');
}
