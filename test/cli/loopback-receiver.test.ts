import { afterEach, describe, expect, it } from 'vitest';
import { LoopbackReceiver } from '../../src/cli/loopback-receiver.js';

/**
 * The loopback listener of `arbiter login --browser`, over real HTTP on 127.0.0.1: it takes the
 * first answer with its state, refuses one with another state without giving up, refuses all
 * after the answer, and passes on a refused sign-in's reason.
 */

describe('the loopback listener of arbiter login', () => {
  let receiver: LoopbackReceiver | undefined;
  afterEach(async () => {
    await receiver?.close();
    receiver = undefined;
  });

  const answerUrl = (target: LoopbackReceiver, query: Record<string, string>) =>
    `${target.redirectUri}?${new URLSearchParams(query).toString()}`;

  it('listens on 127.0.0.1 at a port of its own, with a state of 256 bits', async () => {
    receiver = await LoopbackReceiver.listen();
    expect(receiver.redirectUri).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/callback$/);
    expect(receiver.state).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('refuses an answer with another state and keeps waiting; takes the right one; refuses everything after', async () => {
    const refused: string[] = [];
    receiver = await LoopbackReceiver.listen({ onRefused: (why) => refused.push(why) });
    let settled = false;
    receiver.answer.then(
      () => {
        settled = true;
      },
      () => {
        settled = true;
      },
    );

    const forged = await fetch(answerUrl(receiver, { code: 'planted', state: 'not-the-state' }));
    expect([forged.status, await forged.text()]).toEqual([400, expect.stringContaining('Not this sign-in')]);
    const missing = await fetch(answerUrl(receiver, { code: 'planted' }));
    expect(missing.status).toBe(400);
    expect(refused).toHaveLength(2);
    expect(settled).toBe(false);

    const elsewhere = await fetch(`${new URL(receiver.redirectUri).origin}/favicon.ico`);
    expect(elsewhere.status).toBe(404);

    const right = await fetch(answerUrl(receiver, { code: 'the-code', state: receiver.state }));
    expect([right.status, right.headers.get('cache-control')]).toEqual([200, 'no-store']);
    expect(await receiver.answer).toBe('the-code');

    const second = await fetch(answerUrl(receiver, { code: 'second', state: receiver.state }));
    expect([second.status, await second.text()]).toEqual([400, expect.stringContaining('Already answered')]);
    expect(await receiver.answer).toBe('the-code');
  });

  it('passes on a refused sign-in with its reason, escaped in the page', async () => {
    receiver = await LoopbackReceiver.listen();
    const answer = fetch(
      answerUrl(receiver, {
        error: 'access_denied',
        error_description: 'ARB_ERR_AUTH_SSO_REFUSED: <script>no role</script>',
        state: receiver.state,
      }),
    );
    await expect(receiver.answer).rejects.toThrow(
      'the sign-in failed: ARB_ERR_AUTH_SSO_REFUSED: <script>no role</script>',
    );
    const page = await answer;
    expect(page.status).toBe(400);
    const text = await page.text();
    expect(text).not.toContain('<script>');
    expect(text).toContain('&lt;script&gt;no role');
  });

  it('stops listening when closed', async () => {
    receiver = await LoopbackReceiver.listen();
    const { redirectUri } = receiver;
    await receiver.close();
    receiver = undefined;
    await expect(fetch(redirectUri)).rejects.toThrow();
  });
});
