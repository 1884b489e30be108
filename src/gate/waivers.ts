import type { WaiverRecord } from '../policy/bundle.js';
import type { GateCheckResult, GateFinding } from '../policy/evaluate-gate.js';
import { anyGlobMatches } from '../policy/glob.js';

/**
 * Applies Waiver documents to failed checks. A waiver covers a check when its scope names the
 * check (and policy, when given) and the release's System; it stops applying at `expires`.
 *
 * A waiver with selectors (`findings`, `tools`, `rules`, `packages`) covers only the findings they
 * all match, whatever input they came from: a built-in check is waived when every failing finding
 * is covered; a CEL check is judged again without the covered findings (`reevaluate`) and is
 * waived when it then holds. Otherwise the check fails, saying how many findings were waived and how
 * many still fail (its own message and facts count the findings before waivers).
 * Expired waivers are reported on the check they no longer cover.
 */

/** Judges a CEL check again with the given findings (from `waivable`) left out of what it reads. */
export type Reevaluate = (check: GateCheckResult, waived: readonly GateFinding[]) => GateCheckResult;

export interface WaiverContext {
  system: string | undefined;
  now: Date;
  /** For checks without findings of their own (CEL checks): the findings a waiver's selectors may cover. */
  waivable?: readonly GateFinding[];
  reevaluate?: Reevaluate;
}

export const hasSelectors = (waiver: WaiverRecord) =>
  waiver.scope.findings !== undefined ||
  waiver.scope.tools !== undefined ||
  waiver.scope.rules !== undefined ||
  waiver.scope.packages !== undefined;

/** Whether every selector the waiver gives matches the finding (a waiver without selectors matches all). */
export function waiverCovers(waiver: WaiverRecord, finding: GateFinding): boolean {
  const { findings, tools, rules, packages } = waiver.scope;
  const names = [finding.id, ...(finding.aliases ?? [])];
  if (findings && !findings.some((name) => names.includes(name))) return false;
  if (tools && !anyGlobMatches(tools, finding.tool)) return false;
  if (
    rules &&
    !(finding.rule !== undefined && [finding.rule, ...names].some((n) => anyGlobMatches(rules, n)))
  )
    return false;
  if (packages) {
    const candidates = [finding.package, ...names.filter((name) => name.startsWith('pkg:'))].filter(
      (name): name is string => name !== undefined,
    );
    if (!candidates.some((name) => anyGlobMatches(packages, name))) return false;
  }
  return true;
}

export function applyWaivers(
  checks: readonly GateCheckResult[],
  waivers: readonly WaiverRecord[],
  context: WaiverContext,
): GateCheckResult[] {
  const { system, now } = context;
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
    const whole = live.find((waiver) => !hasSelectors(waiver));
    if (whole) return { ...result, status: 'waived', waiver: summary(whole) };
    if (live.length === 0) return result;
    if (check.findings === undefined) return reevaluated(result, live, context);

    const findings = check.findings.map((finding) => {
      if (!finding.failing) return finding;
      const covering = live.find((waiver) => waiverCovers(waiver, finding));
      return covering ? { ...finding, waivedBy: covering.name } : finding;
    });
    const failing = findings.filter((finding) => finding.failing);
    const allCovered = failing.length > 0 && failing.every((finding) => finding.waivedBy !== undefined);
    const waived = failing.filter((finding) => finding.waivedBy !== undefined).length;
    if (!allCovered) {
      if (waived === 0) return { ...result, findings };
      // The check's message and facts count what it read, before waivers: say what is left after them.
      const still = failing.length - waived;
      return {
        ...result,
        message: `${check.message}; ${waived} waived, ${still} still failing`,
        facts: { ...check.facts, waived, stillFailing: still },
        findings,
      };
    }
    const first = live.find((waiver) => waiver.name === failing[0]?.waivedBy);
    return { ...result, findings, status: 'waived', ...(first ? { waiver: summary(first) } : {}) };
  });
}

/** A CEL check: judged again without the findings the live waivers cover. */
function reevaluated(
  check: GateCheckResult,
  live: readonly WaiverRecord[],
  context: WaiverContext,
): GateCheckResult {
  if (!context.reevaluate || !context.waivable) return check;
  const uncovered: GateFinding[] = [];
  const covered = context.waivable.flatMap((finding) => {
    const covering = live.find((waiver) => waiverCovers(waiver, finding));
    if (!covering) uncovered.push(finding);
    return covering ? [{ ...finding, failing: true, waivedBy: covering.name }] : [];
  });
  if (covered.length === 0) return check;
  const again = context.reevaluate(check, covered);
  const keep = { ...(check.expiredWaivers ? { expiredWaivers: check.expiredWaivers } : {}) };
  if (again.status === 'passed') {
    const first = live.find((waiver) => waiver.name === covered[0]?.waivedBy);
    return {
      ...check,
      ...keep,
      status: 'waived',
      findings: covered,
      ...(first ? { waiver: summary(first) } : {}),
    };
  }
  // Still failing: list what it still counts first (what the reader must fix), then the waived.
  const counted = stillCounted(again, covered, uncovered, context.reevaluate);
  return {
    ...again,
    ...keep,
    status: 'failed',
    message: `${again.message} (with ${covered.length} waived ${covered.length === 1 ? 'finding' : 'findings'} left out)`,
    findings: [...counted.map((finding) => ({ ...finding, failing: true })), ...covered],
  };
}

/** At most this many findings still counted are listed on a check (the reports show 20 to 50). */
export const countedShown = 50;
/** Re-evaluations spent finding them: bounds the cost on inputs with very many findings. */
const countedEvaluations = 128;

/**
 * The findings a still-failing CEL check counts besides the waived ones: those whose removal
 * changes a value the check read (its facts). Found by bisection over the candidates — a group
 * whose removal changes nothing holds none of them, since removing findings only lowers counts —
 * so a check reading a handful of findings among thousands costs a few dozen re-evaluations.
 * Precondition: `judged` is the check evaluated with `waived` left out.
 */
function stillCounted(
  judged: GateCheckResult,
  waived: readonly GateFinding[],
  candidates: readonly GateFinding[],
  reevaluate: Reevaluate,
): GateFinding[] {
  const factsWithout = (group: readonly GateFinding[]) =>
    JSON.stringify(reevaluate(judged, [...waived, ...group]).facts);
  const base = JSON.stringify(judged.facts);
  const found: GateFinding[] = [];
  let budget = countedEvaluations;
  const pending: (readonly GateFinding[])[] = candidates.length > 0 ? [candidates] : [];
  while (pending.length > 0 && found.length < countedShown && budget > 0) {
    const group = pending.shift() as readonly GateFinding[];
    budget--;
    if (factsWithout(group) === base) continue;
    if (group.length === 1) {
      found.push(group[0] as GateFinding);
      continue;
    }
    const half = Math.ceil(group.length / 2);
    pending.unshift(group.slice(0, half), group.slice(half));
  }
  return found;
}

function summary(waiver: WaiverRecord): NonNullable<GateCheckResult['waiver']> {
  return {
    name: waiver.name,
    owner: waiver.owner,
    reason: waiver.reason,
    expires: waiver.expires,
    ...(waiver.approvedBy ? { approvedBy: waiver.approvedBy } : {}),
  };
}
