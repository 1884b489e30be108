import { describe, expect, it } from 'vitest';
import type { JsonObject } from '../../src/core/json.js';
import {
  loosens,
  type ReplayedDecision,
  ReplayTally,
  withRecordedHistory,
} from '../../src/decisions/replay.js';

describe('replay', () => {
  it('names the loosening transitions', () => {
    const all = ['allow', 'require_approval', 'deny'] as const;
    const loosening = all.flatMap((from) =>
      all.filter((to) => loosens(from, to)).map((to) => `${from}>${to}`),
    );
    expect(loosening).toEqual(['require_approval>allow', 'deny>allow', 'deny>require_approval']);
  });

  it('sets the history the original policies read on the rebuilt actor, nothing else', () => {
    const actor = {
      id: 'deploy-bot',
      kind: 'agent' as const,
      autonomy: 3,
      owner: { team: 'platform' },
      recent: { lastHour: { sameAction: { allowed: 0 } } },
    };
    const verdict: JsonObject = {
      reasons: [{ facts: { 'actor.autonomy': 2, 'request.change.linesChanged': 40 } }],
      notFired: [
        { facts: { 'actor.recent.lastHour.sameAction.allowed': 3, 'actor.owner.team': 'someone-else' } },
        {
          facts: {
            'actor.trackRecord.failed': 4,
            'actor.recent.minutesSinceFailure.any': '<map of 2 entries>',
          },
        },
      ],
    };
    expect(withRecordedHistory(actor, verdict)).toEqual({
      id: 'deploy-bot',
      kind: 'agent',
      autonomy: 2,
      owner: { team: 'platform' },
      recent: { lastHour: { sameAction: { allowed: 3 } } },
      trackRecord: { failed: 4 },
    });
    expect(actor.autonomy).toBe(3);
  });

  it('tallies a matrix, puts loosening transitions first and keeps a few examples', () => {
    const tally = new ReplayTally(1);
    const decision = (id: string, actor: string, from: string, to: string) =>
      ({ id, actor, from, to }) as unknown as ReplayedDecision;
    tally.add(decision('d1', 'a', 'allow', 'deny'));
    tally.add(decision('d2', 'b', 'allow', 'deny'));
    tally.add(decision('d3', 'b', 'allow', 'deny'));
    tally.add(decision('d4', 'a', 'deny', 'allow'));
    tally.add(decision('d5', 'a', 'allow', 'allow'));
    tally.skipFrozen();
    const report = tally.report();
    expect(report).toMatchObject({ replayed: 5, skippedFrozen: 1, changed: 4, loosened: 1, tightened: 3 });
    expect(report.matrix.allow).toEqual({ allow: 1, require_approval: 0, deny: 3 });
    expect(
      report.transitions.map((t) => [t.from, t.to, t.count, t.actors, t.examples.map((e) => e.id)]),
    ).toEqual([
      ['deny', 'allow', 1, [{ id: 'a', count: 1 }], ['d4']],
      [
        'allow',
        'deny',
        3,
        [
          { id: 'b', count: 2 },
          { id: 'a', count: 1 },
        ],
        ['d1'],
      ],
    ]);
  });
});
