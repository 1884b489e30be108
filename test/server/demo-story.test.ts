import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedDemoStory } from '../../src/demo/story.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

describe('the demo’s accountability story', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    await server?.close();
  });

  it('approves a deploy that fails, which opens an incident, and leaves a second deploy waiting; a restart repeats nothing', async () => {
    const story = await seedDemoStory(server.arbiter);
    expect(story?.incident).toMatch(/^inc_/);
    expect(story?.waiting).toMatch(/^dec_/);
    expect(story?.gateRuns.map(({ version, passed }) => [version, passed])).toEqual([
      ['1.1.0', true],
      ['1.2.0', false],
    ]);

    const failed = (await server.call(server.tokens.erin, 'GET', `/v1/decisions/${story!.failedDecision}`))
      .body;
    expect(failed).toMatchObject({ status: 'started', outcome: { status: 'failed' } });
    expect(failed.approvals.received.map((vote: { approver: string }) => vote.approver)).toEqual([
      'user:alice',
      'user:bob',
    ]);

    const incident = (await server.call(server.tokens.erin, 'GET', `/v1/incidents/${story!.incident}`)).body;
    expect(incident).toMatchObject({ system: 'deploy-bot', trigger: 'outcome', status: 'open' });

    const again = await seedDemoStory(server.arbiter);
    expect(again).toEqual(story);
    const decisions = (await server.call(server.tokens.erin, 'GET', '/v1/decisions?system=deploy-bot')).body
      .decisions;
    expect(decisions).toHaveLength(2);
    const incidents = (await server.call(server.tokens.erin, 'GET', '/v1/incidents')).body.incidents;
    expect(incidents).toHaveLength(1);
    const gateRuns = (await server.call(server.tokens.erin, 'GET', '/v1/gate-runs')).body.gateRuns;
    expect(gateRuns).toHaveLength(2);
  });
});
