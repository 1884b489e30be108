import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { collectEvidence } from '../../src/compliance/evidence.js';
import { assessFramework, frameworks } from '../../src/compliance/frameworks.js';
import type { LedgerEntry } from '../../src/ledger/entry.js';
import { deploy, startTestServer, type TestServer } from '../helpers/server.js';
import { tempDir } from '../helpers/temp.js';

const entry = (
  seq: number,
  type: string,
  actor: string,
  subject: string,
  data: Record<string, unknown>,
  time = '2026-11-20T10:00:00Z',
): LedgerEntry => ({
  v: 1,
  seq,
  time,
  type,
  actor,
  subject,
  data: data as LedgerEntry['data'],
});

describe('evidence from ledger entries', () => {
  const entries = [
    entry(
      0,
      'system.registered',
      'arbiter',
      'deploy-bot',
      {
        spec: {
          riskTier: 'high',
          autonomy: 3,
          owner: { team: 'platform', person: 'p@x' },
          onCall: { team: 'sre' },
        },
      },
      '2026-01-01T00:00:00Z',
    ),
    entry(1, 'policy.loaded', 'arbiter', 'bundle', { bundle: 'sha256:aa' }, '2026-01-01T00:00:00Z'),
    entry(2, 'decision.created', 'deploy-bot', 'dec_1', {
      effect: 'require_approval',
      reasons: [{ rule: 'r' }],
      request: {
        action: 'deploy',
        rationale: 'fix',
        resource: { type: 'service', id: 'pay', environment: 'prod' },
      },
    }),
    entry(3, 'approval.recorded', 'alice', 'dec_1', { verdict: 'approve' }, '2026-11-20T10:10:00Z'),
    entry(4, 'approval.recorded', 'deploy-bot', 'dec_1', { verdict: 'approve' }, '2026-11-20T10:11:00Z'),
    entry(5, 'decision.allowed', 'alice', 'dec_1', {}, '2026-11-20T10:20:00Z'),
    entry(6, 'decision.outcome', 'deploy-bot', 'dec_1', { status: 'failed' }, '2026-11-20T11:00:00Z'),
    entry(
      7,
      'decision.created',
      'deploy-bot',
      'dec_2',
      { effect: 'allow', reasons: [], request: { action: 'deploy', resource: {} } },
      '2026-12-05T00:00:00Z',
    ),
  ];
  const evidence = collectEvidence(
    entries,
    new Date('2026-11-01T00:00:00Z'),
    new Date('2026-12-01T00:00:00Z'),
  );

  it('counts only the period, but keeps the inventory and the bundles in force', () => {
    expect(evidence.entries).toBe(5);
    expect(evidence.decisions).toMatchObject({
      total: 1,
      byEffect: { require_approval: 1 },
      withRationale: 1,
      withExplanation: 1,
    });
    expect(evidence.systems).toMatchObject({
      registered: 1,
      byRiskTier: { high: 1 },
      withOwner: 1,
      withOnCall: 1,
    });
    expect(evidence.policies.bundlesInForce).toEqual(['sha256:aa']);
    expect(evidence.outcomes).toEqual({ succeeded: 0, failed: 1, rolledBack: 0 });
  });

  it('finds a broken separation of duties and the time to decision', () => {
    expect(evidence.approvals).toMatchObject({
      total: 2,
      approvers: 2,
      selfApprovals: 1,
      medianMinutesToDecision: 20,
    });
    const oversight = assessFramework('eu-ai-act', evidence, {
      verified: true,
      entries: 8,
      uncheckpointed: 0,
      checkpoint: { size: 8, root: 'r', note: 'n' },
    }).find((control) => control.id === 'Art. 14')!;
    expect(oversight.status).toBe('partial');
    expect(oversight.gaps).toContain(
      '1 approvals were cast by the requester itself: separation of duties was broken.',
    );
  });

  it('a failure without an incident, and a ledger that does not verify, are stated as gaps', () => {
    const controls = assessFramework('nist-ai-rmf', evidence, {
      verified: false,
      entries: 8,
      uncheckpointed: 3,
      problem: 'entry 4 was altered',
    });
    expect(controls.find((c) => c.id === 'MANAGE 4')!.gaps).toContain(
      '1 AI actions failed but no incident was recorded.',
    );
    const records = controls.find((c) => c.id === 'GOVERN 4 (records)')!;
    expect(records.status).toBe('gap');
    expect(records.gaps[0]).toContain('does NOT verify: entry 4 was altered');
  });

  it('every framework assesses every control', () => {
    for (const framework of frameworks) {
      const controls = assessFramework(framework, evidence, {
        verified: true,
        entries: 8,
        uncheckpointed: 0,
      });
      expect(controls.length).toBeGreaterThanOrEqual(9);
      for (const control of controls) expect(['met', 'partial', 'gap']).toContain(control.status);
    }
  });
});

describe('arbiter report on a live database', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
    const asked = await server.call(
      server.tokens.deployBot,
      'POST',
      '/v1/decisions',
      deploy({ change: { linesChanged: 812 } }),
    );
    expect(asked.body.status).toBe('pending');
    for (const approver of ['alice', 'bob'])
      await server.call(server.tokens[approver], 'POST', `/v1/decisions/${asked.body.id}/approvals`, {
        verdict: 'approve',
        reason: 'ok',
        requestHash: asked.body.requestHash,
      });
    await server.call(server.tokens.deployBot, 'POST', `/v1/decisions/${asked.body.id}/outcome`, {
      status: 'succeeded',
    });
    await server.call(server.tokens.erin, 'GET', '/v1/ledger/checkpoint');
  });
  afterAll(async () => {
    await server?.close();
  });

  it('writes the evidence pack, anchored to the signed checkpoint', async () => {
    const out = join(tempDir('arbiter-evidence-'), 'pack');
    const lines: string[] = [];
    const code = await main(
      [
        'node',
        'arbiter',
        'report',
        '--framework',
        'iso-42001',
        '--db',
        server.databaseUrl,
        '--ledger-key',
        server.ledgerKeyPath,
        '--from',
        '2000-01-01',
        '--to',
        '2100-01-01',
        '--out',
        `${out}/`, // as the README writes it: evidence/
      ],
      { out: (text) => lines.push(text), err: (text) => lines.push(text) },
    );
    expect(code, lines.join('\n')).toBe(0);
    expect(lines.at(-1)).toContain(`; wrote ${join(out, 'report.html')}, report.json, checkpoint.txt`);
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
    expect(report).toMatchObject({
      format: 'arbiter.compliance-report/v1',
      framework: 'iso-42001',
      ledger: { verified: true },
    });
    expect(report.evidence.decisions.total).toBe(1);
    expect(report.evidence.approvals).toMatchObject({ total: 2, approvers: 2, selfApprovals: 0 });
    const note = readFileSync(join(out, 'checkpoint.txt'), 'utf8');
    expect(note.split('\n')[1]).toBe(String(report.ledger.checkpoint.size));
    const html = readFileSync(join(out, 'report.html'), 'utf8');
    expect(html).toContain('A.9 — Use of AI systems');
    expect(html).not.toMatch(/<script|src=/);

    const again = await main(
      [
        'node',
        'arbiter',
        'report',
        '--framework',
        'iso-42001',
        '--db',
        server.databaseUrl,
        '--ledger-key',
        server.ledgerKeyPath,
        '--out',
        out,
      ],
      {
        out: () => {},
        err: (text) => lines.push(text),
      },
    );
    expect(again).toBe(2);
    expect(lines.at(-1)).toContain('is not empty');
  });
});
