import { describe, expect, it } from 'vitest';
import { pagedContact } from '../../src/incidents/paging.js';
import { onCallAt } from '../../src/incidents/rotation.js';
import type { NotifierConfig } from '../../src/policy/bundle.js';
import type { OnCallRotationRecord } from '../../src/policy/on-call.js';
import { bundleOf, problemsOf } from '../helpers/bundle.js';

const rotationDocument = (spec: string, name = 'primary') =>
  `apiVersion: arbiter/v1\nkind: OnCallRotation\nmetadata: { name: ${name} }\nspec:\n${spec}`;

function rotation(spec: string): OnCallRotationRecord {
  const bundle = bundleOf({ 'policies/oncall.yaml': rotationDocument(spec) });
  return bundle.rotations[0]!;
}

const at = (iso: string) => new Date(iso);
const who = (r: OnCallRotationRecord, iso: string) => onCallAt(r, at(iso)).person;

describe('who is on call at a time', () => {
  const daily = rotation(
    '  handoff: { every: day, at: "09:00" }\n  start: 2026-11-01\n  members: [ana, ben, cy]\n',
  );

  it('daily rotation in UTC: the shift changes exactly at the handoff time', () => {
    expect(who(daily, '2026-11-01T09:00:00Z')).toBe('ana');
    expect(who(daily, '2026-11-02T08:59:59Z')).toBe('ana');
    expect(who(daily, '2026-11-02T09:00:00Z')).toBe('ben');
    expect(who(daily, '2026-11-03T09:00:00Z')).toBe('cy');
    expect(who(daily, '2026-11-04T10:00:00Z')).toBe('ana');
    expect(onCallAt(daily, at('2026-11-02T12:00:00Z'))).toEqual({
      rotation: 'primary',
      person: 'ben',
      source: 'rotation',
      from: '2026-11-02T09:00:00.000Z',
      to: '2026-11-03T09:00:00.000Z',
      index: 1,
    });
  });

  it('before the start the order runs backwards from the first member', () => {
    expect(who(daily, '2026-11-01T08:59:59Z')).toBe('cy');
    expect(who(daily, '2026-10-31T08:00:00Z')).toBe('ben');
  });

  const weekly = rotation(
    '  timezone: Europe/Berlin\n  handoff: { every: week, day: monday, at: "09:00" }\n  start: 2026-01-05\n  members: [dana, ari, noor]\n  overrides:\n    - { from: "2026-12-24T09:00:00+01:00", to: "2026-12-28T09:00:00+01:00", person: ari, reason: holiday swap }\n    - { from: "2026-12-26T00:00:00Z", to: "2026-12-27T00:00:00Z", person: kim }\n',
  );

  it('weekly Monday 09:00 Berlin time: 08:00 UTC in winter, one person per week in member order', () => {
    // 45 weeks after 2026-01-05: 45 mod 3 = 0.
    expect(onCallAt(weekly, at('2026-11-17T10:00:00Z'))).toMatchObject({
      person: 'dana',
      from: '2026-11-16T08:00:00.000Z',
      to: '2026-11-23T08:00:00.000Z',
      index: 0,
    });
    expect(who(weekly, '2026-11-23T07:59:59Z')).toBe('dana');
    expect(who(weekly, '2026-11-23T08:00:00Z')).toBe('ari');
    expect(who(weekly, '2026-11-30T08:00:00Z')).toBe('noor');
  });

  it('the handoff stays at 09:00 local time across the switch to summer time', () => {
    // Berlin moves to CEST on 2026-03-29: Monday 2026-03-30 09:00 is 07:00 UTC.
    expect(onCallAt(weekly, at('2026-03-30T06:59:59Z'))).toMatchObject({
      person: 'noor',
      from: '2026-03-23T08:00:00.000Z',
      to: '2026-03-30T07:00:00.000Z',
    });
    expect(who(weekly, '2026-03-30T07:00:00Z')).toBe('dana');
  });

  it('an override wins for its span; of overlapping overrides the last listed wins', () => {
    // Week of 2026-12-21: 50 weeks after the start, noor's.
    expect(who(weekly, '2026-12-24T07:59:59Z')).toBe('noor');
    expect(onCallAt(weekly, at('2026-12-24T08:00:00Z'))).toEqual({
      rotation: 'primary',
      person: 'ari',
      source: 'override',
      from: '2026-12-24T08:00:00.000Z',
      to: '2026-12-28T08:00:00.000Z',
      reason: 'holiday swap',
    });
    expect(who(weekly, '2026-12-26T12:00:00Z')).toBe('kim');
    expect(who(weekly, '2026-12-28T07:59:59Z')).toBe('ari');
    // After the override the rotation resumes: the week of 2026-12-28 is dana's (51 mod 3 = 0).
    expect(who(weekly, '2026-12-28T08:00:00Z')).toBe('dana');
  });

  it('a start that is not a handoff day begins at the first handoff after it', () => {
    const late = rotation('  start: 2026-01-07\n  members: [a, b]\n');
    expect(late.handoff).toEqual({ every: 'week', day: 'monday', at: '09:00' });
    expect(late.timezone).toBe('UTC');
    expect(who(late, '2026-01-12T09:00:00Z')).toBe('a');
    expect(who(late, '2026-01-12T08:59:00Z')).toBe('b');
    expect(who(late, '2026-01-19T09:00:00Z')).toBe('b');
  });
});

describe('OnCallRotation documents and the incidents settings at load', () => {
  it('reports a bad time zone, a start that is no date, an override that ends before it starts, a day on a daily handoff', () => {
    const problems = problemsOf({
      'policies/oncall.yaml': rotationDocument(
        '  timezone: Mars/Olympus\n  start: 2026-02-30\n  handoff: { every: day, day: friday }\n  members: [a]\n  overrides:\n    - { from: "2026-11-02T00:00:00Z", to: "2026-11-01T00:00:00Z", person: b }\n    - { from: 2026-11-01, to: "2026-11-02T00:00:00Z", person: b }\n',
      ),
    });
    const messages = problems.map((problem) => `${problem.line}: ${problem.message}`);
    expect(messages).toEqual([
      expect.stringContaining('timezone "Mars/Olympus" is not an IANA time zone'),
      expect.stringContaining('start "2026-02-30" is not a calendar date'),
      expect.stringContaining('day applies to weekly handoffs only'),
      expect.stringContaining('must be after from'),
      expect.stringContaining('from "2026-11-01" is not an RFC 3339 timestamp'),
    ]);
    expect(problems.every((problem) => problem.code === 'ARB_ERR_POLICY_INVALID_VALUE')).toBe(true);
  });

  it('rejects an unknown field and a rotation without members', () => {
    const problems = problemsOf({
      'policies/oncall.yaml': rotationDocument('  members: []\n  handof: {}\n'),
    });
    expect(problems.map((problem) => problem.code).sort()).toEqual(
      expect.arrayContaining(['ARB_ERR_POLICY_UNKNOWN_FIELD']),
    );
    expect(problems.length).toBeGreaterThanOrEqual(2);
  });

  const bundleDocument = (spec: string) =>
    `apiVersion: arbiter/v1\nkind: Bundle\nmetadata: { name: b }\nspec:\n${spec}`;

  it('defaults: failed and rolled-back outcomes in prod or production, critical alerts', () => {
    expect(bundleOf({ 'p/b.yaml': bundleDocument('  defaults: { effect: deny }\n') }).incidents).toEqual({
      openOn: {
        outcomes: ['failed', 'rolled_back'],
        environments: ['prod', 'production'],
        alertSeverities: ['critical'],
      },
    });
    expect(bundleOf({}).counts.OnCallRotation).toBe(0);
  });

  it('openOn as written: {} turns automatic incidents off; outcomes without environments is a problem', () => {
    expect(bundleOf({ 'p/b.yaml': bundleDocument('  incidents: { openOn: {} }\n') }).incidents).toEqual({
      openOn: { outcomes: [], environments: [], alertSeverities: [] },
    });
    expect(
      bundleOf({
        'p/b.yaml': bundleDocument(
          '  incidents:\n    openOn: { outcomes: [failed], environments: ["prod-*"], alertSeverities: [critical, warning] }\n',
        ),
      }).incidents.openOn,
    ).toEqual({ outcomes: ['failed'], environments: ['prod-*'], alertSeverities: ['critical', 'warning'] });
    const [problem] = problemsOf({
      'p/b.yaml': bundleDocument('  incidents:\n    openOn: { outcomes: [failed] }\n'),
    });
    expect(problem?.message).toContain('outcomes and environments work together');
    expect(
      problemsOf({
        'p/b.yaml': bundleDocument(
          '  incidents:\n    openOn: { outcomes: [succeeded], environments: [prod] }\n',
        ),
      })[0]?.code,
    ).toBe('ARB_ERR_POLICY_WRONG_TYPE');
  });
});

describe('who gets paged', () => {
  const weekly = rotation('  start: 2026-01-05\n  members: [dana, ari]\n');
  const pagerDuty: NotifierConfig = {
    name: 'oncall',
    type: 'pagerduty',
    routingKeys: { platform: 'PD_ROUTING_PLATFORM' },
    defaultRoutingKeyEnv: 'PD_ROUTING_DEFAULT',
    events: ['incident.opened', 'incident.resolved'],
    minSeverity: 'error',
    maxAttempts: 8,
    timeoutMs: 5000,
  };
  const when = at('2026-11-17T10:00:00Z');

  it('the rotation names the person; the PagerDuty routing key is named by its variable, from the notifier of the owner team', () => {
    expect(
      pagedContact({
        onCall: { team: 'platform-oncall', rotation: 'primary' },
        ownerTeam: 'platform',
        rotations: [weekly],
        notifiers: [pagerDuty],
        at: when,
      }),
    ).toEqual({
      at: '2026-11-17T10:00:00.000Z',
      team: 'platform-oncall',
      person: 'ari',
      source: 'rotation',
      rotation: 'primary',
      shift: { from: '2026-11-16T09:00:00.000Z', to: '2026-11-23T09:00:00.000Z' },
      pagerdutyRoutingKey: 'PD_ROUTING_PLATFORM',
    });
  });

  it('without a rotation the on-call person; a rotation the repository does not define is said so', () => {
    const paged = pagedContact({
      onCall: { rotation: 'elsewhere', person: 'sam@example.com' },
      ownerTeam: 'risk-ml',
      rotations: [weekly],
      notifiers: [pagerDuty],
      at: when,
    });
    expect(paged).toMatchObject({
      team: 'risk-ml',
      person: 'sam@example.com',
      source: 'onCall.person',
      rotation: 'elsewhere',
      shift: null,
      pagerdutyRoutingKey: 'PD_ROUTING_DEFAULT',
    });
    expect(paged.note).toContain('rotation elsewhere is not defined');
  });

  it('a routing key variable named by the System wins; a literal key is never recorded', () => {
    const base = { ownerTeam: 'platform', rotations: [], notifiers: [], at: when };
    expect(pagedContact({ ...base, onCall: { pagerdutyRoutingKey: 'PD_DEPLOY_BOT' } })).toMatchObject({
      pagerdutyRoutingKey: 'PD_DEPLOY_BOT',
      person: null,
      source: 'none',
      team: 'platform',
    });
    const literal = pagedContact({
      ...base,
      onCall: { pagerdutyRoutingKey: 'R0ABCDEF1234567890abcdef12345678' },
    });
    expect(JSON.stringify(literal)).not.toContain('R0ABCDEF');
    expect(literal.pagerdutyRoutingKey).toBeNull();
  });
});
