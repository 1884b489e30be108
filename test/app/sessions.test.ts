import { statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultSessionKeyPath, loadSessionKey, SessionService } from '../../src/app/access/sessions.js';
import { usedRecordMarginMs } from '../../src/app/access/sign-in.js';
import { startArbiter } from '../../src/app/arbiter.js';
import { isArbiterError } from '../../src/core/errors.js';
import { maxSessionTtlMs } from '../../src/identity/session-lifetime.js';
import type { SignedInPerson } from '../../src/identity/sign-in.js';
import { TestClock } from '../helpers/server.js';
import { tempDir } from '../helpers/temp.js';

/**
 * Session cookies and `arbiter login` session tokens: sealed with a key file kept beside the ledger
 * key (never in the database), bound to their use, expiring on Arbiter's clock, revocable.
 */

const alice: SignedInPerson = {
  user: 'alice@example.com',
  role: 'approver',
  groups: ['sre'],
  idpGroups: ['sre-team'],
  subject: 'alice',
  email: 'alice@example.com',
  amr: ['pwd', 'otp'],
  acr: 'urn:mfa',
  authTime: 1_796_000_000,
};

async function arbiterIn(dir: string, clock: TestClock) {
  return startArbiter({
    databaseUrl: `sqlite:${join(dir, 'arbiter.db')}`,
    clock: clock.now,
    expiryIntervalMs: 3_600_000,
    notificationIntervalMs: 3_600_000,
    monitorIntervalMs: 3_600_000,
    checkpointIntervalMs: 3_600_000,
  });
}

const reasonOf = async (promise: Promise<unknown>) => {
  try {
    await promise;
  } catch (error) {
    if (isArbiterError(error, 'ARB_ERR_AUTH_SESSION_INVALID'))
      return (error.details as { reason: string }).reason;
    throw error;
  }
  throw new Error('expected ARB_ERR_AUTH_SESSION_INVALID');
};

/** Signs someone else out: the revocation's transaction is where ended revocations are purged. */
async function revokeAnother(arbiter: Awaited<ReturnType<typeof arbiterIn>>): Promise<void> {
  await arbiter.sessions.revoke(
    (await arbiter.sessions.issue(alice, 'https://idp.example.com', 60_000)).cookie,
  );
}

describe('sign-in sessions', () => {
  it('keep their key in a 0600 file beside the ledger key, and a database copied elsewhere cannot read them', async () => {
    const dir = tempDir('arbiter-sessions-');
    const clock = new TestClock();
    const arbiter = await arbiterIn(dir, clock);
    try {
      expect(defaultSessionKeyPath(join(dir, 'arbiter.ledger.key'))).toBe(join(dir, 'arbiter.session.key'));
      expect(statSync(join(dir, 'arbiter.session.key')).mode & 0o777).toBe(0o600);
      const issued = await arbiter.sessions.issue(alice, 'https://idp.example.com', 3_600_000);
      const principal = await arbiter.sessions.authenticate(issued.cookie);
      expect(principal).toMatchObject({
        role: 'approver',
        user: 'alice@example.com',
        groups: ['sre'],
        auth: {
          via: 'sso',
          issuer: 'https://idp.example.com',
          subject: 'alice',
          amr: ['pwd', 'otp'],
          acr: 'urn:mfa',
        },
      });
      // Same database, another key (a replica without the key file, or an attacker with the database).
      const otherKey = join(tempDir('arbiter-other-key-'), 'other.session.key');
      const stranger = new SessionService({
        key: loadSessionKey(otherKey),
        store: arbiter.store,
        clock: clock.now,
      });
      expect(await reasonOf(stranger.authenticate(issued.cookie))).toBe('invalid');
      // A replica with the same key file accepts it.
      const replica = new SessionService({
        key: loadSessionKey(join(dir, 'arbiter.session.key')),
        store: arbiter.store,
        clock: clock.now,
      });
      expect((await replica.authenticate(issued.cookie)).user).toBe('alice@example.com');
    } finally {
      await arbiter.close();
    }
  });

  it('are bound to their use: a cookie is not a command-line token, nor the reverse', async () => {
    const dir = tempDir('arbiter-sessions-');
    const clock = new TestClock();
    const arbiter = await arbiterIn(dir, clock);
    try {
      const cookie = await arbiter.sessions.issue(alice, 'https://idp.example.com', 3_600_000);
      const cli = await arbiter.sessions.issue(alice, 'https://idp.example.com', 3_600_000, 'cli');
      expect(cli.cookie.startsWith('arbs_')).toBe(true);
      expect((await arbiter.sessions.authenticate(cli.cookie, 'cli')).auth.via).toBe('cli');
      expect(await reasonOf(arbiter.sessions.authenticate(cookie.cookie, 'cli'))).toBe('invalid');
      expect(await reasonOf(arbiter.sessions.authenticate(cli.cookie, 'sso'))).toBe('invalid');
      expect(await reasonOf(arbiter.sessions.authenticate(cli.cookie.slice(5), 'sso'))).toBe('invalid');
    } finally {
      await arbiter.close();
    }
  });

  it('expire on Arbiter’s clock, end at revocation, and refuse garbage of any size', async () => {
    const dir = tempDir('arbiter-sessions-');
    const clock = new TestClock();
    const arbiter = await arbiterIn(dir, clock);
    try {
      const issued = await arbiter.sessions.issue(alice, 'https://idp.example.com', 60_000);
      clock.advance(59_000);
      expect((await arbiter.sessions.authenticate(issued.cookie)).user).toBe('alice@example.com');
      clock.advance(2_000);
      expect(await reasonOf(arbiter.sessions.authenticate(issued.cookie))).toBe('invalid');

      const second = await arbiter.sessions.issue(alice, 'https://idp.example.com', 60_000);
      await arbiter.sessions.revoke(second.cookie);
      expect(await reasonOf(arbiter.sessions.authenticate(second.cookie))).toBe('revoked');

      for (const garbage of ['', 'x', 'a.b.c.d.e', 'e'.repeat(100_000), `${second.cookie}x`])
        expect(await reasonOf(arbiter.sessions.authenticate(garbage))).toBe('invalid');
      // The CSRF token belongs to one session.
      const third = await arbiter.sessions.issue(alice, 'https://idp.example.com', 60_000);
      expect(arbiter.sessions.csrfMatches(third.sessionId, third.csrfToken)).toBe(true);
      expect(arbiter.sessions.csrfMatches(second.sessionId, third.csrfToken)).toBe(false);
      expect(arbiter.sessions.csrfMatches(third.sessionId, '')).toBe(false);
    } finally {
      await arbiter.close();
    }
  });

  it('stay revoked until their own expiry; the revocation row goes after it, with a later revocation', async () => {
    const dir = tempDir('arbiter-sessions-');
    const clock = new TestClock();
    const arbiter = await arbiterIn(dir, clock);
    try {
      const day = 86_400_000;
      const issued = await arbiter.sessions.issue(alice, 'https://idp.example.com', day);
      await arbiter.sessions.revoke(issued.cookie);
      const row = `session.revoked-until:${issued.sessionId}`;
      expect(await arbiter.store.getMeta(row)).toBe(issued.expiresAt.toISOString());
      // Purges run while the session could still be presented: the row stays, the cookie is refused.
      clock.advance(day - 1_000);
      await revokeAnother(arbiter);
      expect(await arbiter.store.getMeta(row)).toBeDefined();
      expect(await reasonOf(arbiter.sessions.authenticate(issued.cookie))).toBe('revoked');
      // Past its expiry and the clock margin between replicas, the cookie is dead and the row goes.
      clock.advance(1_000 + usedRecordMarginMs);
      await revokeAnother(arbiter);
      expect(await arbiter.store.getMeta(row)).toBeDefined(); // exactly at the margin: not yet
      clock.advance(1);
      await revokeAnother(arbiter);
      expect(await arbiter.store.getMeta(row)).toBeUndefined();
      expect(await reasonOf(arbiter.sessions.authenticate(issued.cookie))).toBe('invalid');
    } finally {
      await arbiter.close();
    }
  });

  it('honour a revocation written before expiries were kept, and purge it only after the longest lifetime', async () => {
    const dir = tempDir('arbiter-sessions-');
    const clock = new TestClock();
    const arbiter = await arbiterIn(dir, clock);
    try {
      const issued = await arbiter.sessions.issue(alice, 'https://idp.example.com', maxSessionTtlMs);
      // What the earlier release wrote at logout: the revocation time, under the older key.
      const row = `session.revoked:${issued.sessionId}`;
      await arbiter.store.write((tx) => tx.setMeta(row, clock.now().toISOString()));
      expect(await reasonOf(arbiter.sessions.authenticate(issued.cookie))).toBe('revoked');
      // Long after a short session would have ended, this one is still valid: still revoked.
      clock.advance(maxSessionTtlMs - 1_000);
      await revokeAnother(arbiter);
      expect(await arbiter.store.getMeta(row)).toBeDefined();
      expect(await reasonOf(arbiter.sessions.authenticate(issued.cookie))).toBe('revoked');
      clock.advance(1_000 + usedRecordMarginMs + 1);
      await revokeAnother(arbiter);
      expect(await arbiter.store.getMeta(row)).toBeUndefined();
    } finally {
      await arbiter.close();
    }
  });

  it('are refused by a replica of the earlier release after sign-out here (rolling upgrade)', async () => {
    const dir = tempDir('arbiter-sessions-');
    const clock = new TestClock();
    const arbiter = await arbiterIn(dir, clock);
    // The earlier release's whole revocation check (authenticate before revoked-until rows).
    const olderReplicaRefuses = async (sessionId: string) =>
      Boolean(await arbiter.store.getMeta(`session.revoked:${sessionId}`));
    try {
      const issued = await arbiter.sessions.issue(alice, 'https://idp.example.com', maxSessionTtlMs);
      expect(await olderReplicaRefuses(issued.sessionId)).toBe(false);
      await arbiter.sessions.revoke(issued.cookie);
      expect(await olderReplicaRefuses(issued.sessionId)).toBe(true);
      expect(await reasonOf(arbiter.sessions.authenticate(issued.cookie))).toBe('revoked');
      // Kept while the cookie may be valid, like a row that release wrote itself, and purged after.
      clock.advance(maxSessionTtlMs - 1_000);
      await revokeAnother(arbiter);
      expect(await olderReplicaRefuses(issued.sessionId)).toBe(true);
      clock.advance(1_000 + usedRecordMarginMs + 1);
      await revokeAnother(arbiter);
      expect(await olderReplicaRefuses(issued.sessionId)).toBe(false);
      expect(await arbiter.store.getMeta(`session.revoked-until:${issued.sessionId}`)).toBeUndefined();
    } finally {
      await arbiter.close();
    }
  });

  it('are never issued for longer than an IdentityProvider may set', async () => {
    const dir = tempDir('arbiter-sessions-');
    const arbiter = await arbiterIn(dir, new TestClock());
    try {
      for (const ttl of [maxSessionTtlMs + 1, 0, -1, Number.NaN])
        await expect(arbiter.sessions.issue(alice, 'https://idp.example.com', ttl)).rejects.toThrow(
          RangeError,
        );
    } finally {
      await arbiter.close();
    }
  });

  it('refuse a key file that is not 32 bytes', () => {
    const path = join(tempDir('arbiter-bad-key-'), 'bad.session.key');
    writeFileSync(path, 'c2hvcnQ\n');
    expect(() => loadSessionKey(path)).toThrow(/not 32 bytes/);
  });
});
