import { existsSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultAdminTokenPath, legacyAdminTokenPath } from '../../src/app/access/admin-token-file.js';
import { startArbiter } from '../../src/app/arbiter.js';
import { tempDir } from '../helpers/temp.js';

/** Starts an Arbiter on `database` in `dir` the way `arbiter serve` does, and closes it again. */
async function start(dir: string, database: string) {
  const databaseUrl = `sqlite:${join(dir, database)}`;
  const legacy = legacyAdminTokenPath(databaseUrl);
  const arbiter = await startArbiter({
    databaseUrl,
    adminTokenPath: defaultAdminTokenPath(databaseUrl),
    ...(legacy ? { legacyAdminTokenPath: legacy } : {}),
    expiryIntervalMs: 3_600_000,
    notificationIntervalMs: 3_600_000,
    monitorIntervalMs: 3_600_000,
    checkpointIntervalMs: 3_600_000,
  });
  return arbiter;
}

describe('the bootstrap admin token file', () => {
  it('is named after its database, so two databases in one folder keep their own tokens', async () => {
    const dir = tempDir('arbiter-admin-token-');
    const first = await start(dir, 'first.db');
    const second = await start(dir, 'second.sqlite');
    try {
      const firstToken = readFileSync(join(dir, 'first.admin.token'), 'utf8').trim();
      const secondToken = readFileSync(join(dir, 'second.admin.token'), 'utf8').trim();
      expect(firstToken).not.toBe(secondToken);
      expect(statSync(join(dir, 'first.admin.token')).mode & 0o777).toBe(0o600);
      // Each token is its own database's admin, and no one else's.
      expect((await first.tokens.authenticate(firstToken)).role).toBe('admin');
      await expect(first.tokens.authenticate(secondToken)).rejects.toThrow(/unknown or revoked/);
      expect((await second.tokens.authenticate(secondToken)).role).toBe('admin');
      expect(first.adminTokenFile).toEqual({ written: join(dir, 'first.admin.token'), token: firstToken });
      expect(existsSync(join(dir, 'admin.token'))).toBe(false);
    } finally {
      await first.close();
      await second.close();
    }
  });

  it("adopts the old shared admin.token only when it holds this database's admin token", async () => {
    const dir = tempDir('arbiter-admin-token-');
    // As an older version left them: both databases started, the second overwrote admin.token.
    const mine = await start(dir, 'mine.db');
    const other = await start(dir, 'other.db');
    const myToken = readFileSync(join(dir, 'mine.admin.token'), 'utf8');
    await mine.close();
    await other.close();
    rmSync(join(dir, 'mine.admin.token'));
    rmSync(join(dir, 'other.admin.token'));
    writeFileSync(join(dir, 'admin.token'), myToken, { mode: 0o600 });

    // other.db: the old file is not its token, so it is left alone and nothing is copied.
    const otherAgain = await start(dir, 'other.db');
    expect(otherAgain.adminTokenFile).toBeUndefined();
    expect(existsSync(join(dir, 'other.admin.token'))).toBe(false);
    await otherAgain.close();

    // mine.db: its token, copied to the new name; the old file stays for scripts that read it.
    const mineAgain = await start(dir, 'mine.db');
    try {
      expect(mineAgain.adminTokenFile).toEqual({
        adoptedFrom: join(dir, 'admin.token'),
        path: join(dir, 'mine.admin.token'),
      });
      expect(readFileSync(join(dir, 'mine.admin.token'), 'utf8')).toBe(myToken);
      expect(statSync(join(dir, 'mine.admin.token')).mode & 0o777).toBe(0o600);
      expect(readFileSync(join(dir, 'admin.token'), 'utf8')).toBe(myToken);
    } finally {
      await mineAgain.close();
    }

    // A revoked token is not adopted either.
    rmSync(join(dir, 'mine.admin.token'));
    const revoking = await start(dir, 'mine.db');
    const [row] = (await revoking.tokens.list()).filter((token) => token.role === 'admin');
    await revoking.tokens.revoke(row!.id, 'test');
    await revoking.close();
    rmSync(join(dir, 'mine.admin.token'));
    const afterRevoke = await start(dir, 'mine.db');
    expect(afterRevoke.adminTokenFile).toBeUndefined();
    await afterRevoke.close();
  });

  it('keeps .arbiter/admin.token in the working directory (as an absolute path) for PostgreSQL, which has no folder of its own', () => {
    expect(defaultAdminTokenPath('postgres://db.internal/arbiter')).toBe(
      join(process.cwd(), '.arbiter', 'admin.token'),
    );
    expect(legacyAdminTokenPath('postgres://db.internal/arbiter')).toBeUndefined();
    expect(defaultAdminTokenPath('sqlite:/var/lib/arbiter/arbiter.db')).toBe(
      '/var/lib/arbiter/arbiter.admin.token',
    );
  });
});
