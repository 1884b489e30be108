import { describe, expect, it } from 'vitest';
import { postmortemBlocks, postmortemHtml, postmortemMarkdown } from '../../src/incidents/postmortem.js';
import type { Trace, TraceReplay } from '../../src/incidents/trace.js';
import { describeReplay } from '../../src/incidents/trace-text.js';
import { replayRequest } from '../../src/incidents/what-if.js';
import { actionPolicy, bundleOf } from '../helpers/bundle.js';

const bundle = bundleOf({
  'p/deploys.yaml': actionPolicy(
    'prod',
    `  match: { actions: [deploy], environments: [prod] }
  rules:
    - { name: weekend, when: "now.getDayOfWeek() == 6", effect: deny, message: No deploys on Saturdays }
    - { name: big, when: "request.change.lines > 500", effect: require_approval, approval: { from: [owner] }, message: big change }
    - { name: ok, when: "true", effect: allow }
`,
  ),
});
const request = (lines: number) => ({
  action: 'deploy',
  resource: { type: 'service', id: 'payments', environment: 'prod' },
  change: { lines },
});
const actor = { id: 'deploy-bot', kind: 'agent' as const };

describe('what would have stopped it', () => {
  it('replays at the time of the request: a time rule judges it as it would have then', () => {
    const saturday = replayRequest(bundle, {
      request: request(10),
      actor,
      at: new Date('2026-11-21T12:00:00Z'),
      recordedEffect: 'allow',
    });
    expect(saturday).toMatchObject({ effect: 'deny', wouldHaveStopped: true, bundle: bundle.digest });
    expect(saturday.rules.map((rule) => rule.rule)).toEqual(['weekend']);
    expect(describeReplay(saturday)).toBe('the current rules would deny it: prod/weekend');
  });

  it('approval where it was allowed outright would have stopped it; approval it already had would not', () => {
    const at = new Date('2026-11-17T12:00:00Z');
    const tightened = replayRequest(bundle, { request: request(900), actor, at, recordedEffect: 'allow' });
    expect(tightened).toMatchObject({ effect: 'require_approval', wouldHaveStopped: true });
    expect(tightened.approvals).toEqual([{ count: 1, from: ['owner'], ttl: '1h', rules: ['prod/big'] }]);
    expect(describeReplay(tightened)).toBe(
      'the current rules would require approval (1 from owner): prod/big',
    );
    const same = replayRequest(bundle, {
      request: request(900),
      actor,
      at,
      recordedEffect: 'require_approval',
    });
    expect(same.wouldHaveStopped).toBe(false);
    expect(describeReplay(same)).toContain('so they would not have stopped it');
    const allowed = replayRequest(bundle, { request: request(5), actor, at, recordedEffect: 'allow' });
    expect(allowed).toMatchObject({ effect: 'allow', wouldHaveStopped: false, rules: [] });
    expect(describeReplay(allowed)).toContain('no rule of the current policies would have stopped it');
  });
});

describe('the postmortem draft', () => {
  const hostile = '<img src=x onerror=alert(1)> | **bold** [link](javascript:x) # & "q"';
  const paged = {
    at: '2026-11-17T10:00:00.000Z',
    team: 'platform-oncall',
    person: 'dana@example.com',
    source: 'rotation' as const,
    rotation: 'platform-primary',
    shift: { from: '2026-11-16T08:00:00.000Z', to: '2026-11-23T08:00:00.000Z' },
    pagerdutyRoutingKey: 'PD_ROUTING_PLATFORM',
  };
  const proof = {
    index: 3,
    type: 'incident.opened',
    time: paged.at,
    leafHash: 'AA==',
    treeSize: 4,
    proof: [],
    verified: true,
    status: 'verified' as const,
  };
  const trace: Trace = {
    format: 'arbiter.trace/v1',
    generatedAt: '2026-11-17T11:00:00.000Z',
    subject: { kind: 'incident', id: 'inc_1' },
    checkpoint: null,
    verified: false,
    proofs: { total: 1, verified: 1 },
    incident: {
      id: 'inc_1',
      title: hostile,
      severity: 'sev2',
      status: 'resolved',
      system: 'deploy-bot',
      description: hostile,
      trigger: 'manual',
      openedBy: 'alice',
      openedAt: '2026-11-17T10:00:00.000Z',
      paged,
      resolvedBy: 'carol',
      resolvedAt: '2026-11-17T10:45:00.000Z',
      resolution: hostile,
      ledger: proof,
      resolvedLedger: null,
      links: [],
    },
    decisions: [],
    gateRuns: [],
    alerts: [],
    deployments: [],
    accountability: [],
    timeline: [
      {
        time: paged.at,
        ledgerIndex: 3,
        type: 'incident.opened',
        actor: 'alice',
        subject: 'inc_1',
        summary: hostile,
        verified: true,
      },
    ],
  };
  const blocks = postmortemBlocks(trace, {
    replays: new Map<string, TraceReplay>(),
    replayedAgainst: 'the server',
  });

  it('says how long it lasted and marks what people must write', () => {
    const markdown = postmortemMarkdown(blocks);
    expect(markdown).toContain('by carol after 45 min');
    expect(markdown.match(/^> \*\*TO BE WRITTEN:\*\*/gm)).toHaveLength(4);
    expect(markdown).toContain('No decision is linked to this incident.');
  });

  it('Markdown: record text cannot become HTML, links, emphasis or table cells', () => {
    const markdown = postmortemMarkdown(blocks);
    expect(markdown).not.toContain('<img');
    expect(markdown).toContain(
      '&lt;img src=x onerror=alert(1)&gt; \\| \\*\\*bold\\*\\* \\[link\\](javascript:x) # &amp; "q"',
    );
  });

  it('HTML: every text from the record is escaped, and scripts are forbidden', () => {
    const html = postmortemHtml(blocks);
    expect(html).not.toContain('<img');
    expect(html).toContain(
      '&lt;img src=x onerror=alert(1)&gt; | **bold** [link](javascript:x) # &amp; &quot;q&quot;',
    );
    expect(html).toContain(`<title>Postmortem (draft): &lt;img`);
    expect(html).toContain('Content-Security-Policy" content="default-src \'none\'');
  });

  it('refuses a decision trace', () => {
    expect(() =>
      postmortemBlocks({ ...trace, incident: null }, { replays: new Map(), replayedAgainst: 'x' }),
    ).toThrow('a postmortem needs the trace of an incident');
  });
});
