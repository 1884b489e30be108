import type { WaiverRecord } from '../policy/bundle.js';
import type { GateCheckResult, GateFinding } from '../policy/evaluate-gate.js';
import { anyGlobMatches } from '../policy/glob.js';

/**
 * Applies Waiver documents to failed checks. A waiver covers a check when its scope names the
 * check (and policy, when given) and the release's System; it stops applying at `expires`. A
 * waiver with `findings` covers only those findings, and the check is waived only when every
 * failing finding is covered. Expired waivers are reported on the check they no longer cover.
 */
export function applyWaivers(
  checks: readonly GateCheckResult[],
  waivers: readonly WaiverRecord[],
  system: string | undefined,
  now: Date,
): GateCheckResult[] {
  return checks.map((check) => {
    if (check.status !== 'failed') return check;
    const candidates = waivers.filter(
      (waiver) =>
        waiver.scope.check === check.check &&
        (waiver.scope.policy === undefined || waiver.scope.policy === check.policy) &&
        system !== undefined &&
        anyGlobMatches(waiver.scope.systems, system),
    );
    if (candidates.length === 0) return check;
    const live = candidates.filter((waiver) => Date.parse(waiver.expires) > now.getTime());
    const expired = candidates
      .filter((waiver) => !live.includes(waiver))
      .map((waiver) => ({ name: waiver.name, expired: waiver.expires }));
    const result: GateCheckResult = { ...check, ...(expired.length > 0 ? { expiredWaivers: expired } : {}) };
    const whole = live.find((waiver) => waiver.scope.findings === undefined);
    if (whole) return { ...result, status: 'waived', waiver: summary(whole) };

    const findings = (check.findings ?? []).map((finding) => {
      if (!finding.failing) return finding;
      const covering = live.find((waiver) =>
        waiver.scope.findings?.some((name) => names(finding).includes(name)),
      );
      return covering ? { ...finding, waivedBy: covering.name } : finding;
    });
    const failing = findings.filter((finding) => finding.failing);
    const allCovered = failing.length > 0 && failing.every((finding) => finding.waivedBy !== undefined);
    const waived = failing.filter((finding) => finding.waivedBy !== undefined).length;
    if (!allCovered)
      return {
        ...result,
        ...(waived > 0 ? { message: `${check.message} (${waived} of them waived)` } : {}),
        ...(check.findings ? { findings } : {}),
      };
    const first = live.find((waiver) => waiver.name === failing[0]?.waivedBy);
    return { ...result, findings, status: 'waived', ...(first ? { waiver: summary(first) } : {}) };
  });
}

const names = (finding: GateFinding) => [finding.id, ...(finding.aliases ?? [])];

function summary(waiver: WaiverRecord): NonNullable<GateCheckResult['waiver']> {
  return {
    name: waiver.name,
    owner: waiver.owner,
    reason: waiver.reason,
    expires: waiver.expires,
    ...(waiver.approvedBy ? { approvedBy: waiver.approvedBy } : {}),
  };
}
