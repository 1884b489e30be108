import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { newToken, tokenHash } from '../../src/app/access/tokens.js';
import { startArbiter } from '../../src/app/arbiter.js';
import { openLedger } from '../../src/app/ledger/ledger.js';
import { decodeEntry } from '../../src/ledger/entry.js';
import { buildServer } from '../../src/server/app.js';
import { openStore } from '../../src/store/open.js';
import { arbiter as cli } from '../helpers/cli.js';
import { createTestDatabase, postgresAvailable } from '../helpers/postgres.js';
import { tempDir } from '../helpers/temp.js';

/**
 * The upgrade path of tokens (issue 17, "Tokens"): a database from before `token.created` recorded
 * the token's hash. Its tokens are refused — a row the ledger holds no hash of is what a database
 * writer's inserted token looks like — until an admin runs `arbiter tokens attest --by NAME`, which
 * records one `token.attested` entry per active token, naming them.
 */
const hasPostgres = await postgresAvailable();

/** Writes tokens as Arbiter did before token hashes were recorded: the row, and a hash-less `token.created`. */
async function seedOldTokens(
  databaseUrl: string,
  keyPath: string,
): Promise<{ active: string; revoked: string }> {
  const store = await openStore(databaseUrl);
  try {
    const ledger = await openLedger(store, { keyPath });
    const tokens = { active: newToken(), revoked: newToken() };
    await store.write(async (tx) => {
      for (const [id, token] of [
        ['tok_old_admin', tokens.active],
        ['tok_old_revoked', tokens.revoked],
      ] as const) {
        await tx.insertToken({
          id,
          hash: tokenHash(token),
          role: 'admin',
          userName: 'root',
          groups: [],
          createdAt: new Date().toISOString(),
        });
        await ledger.log.append(tx.ledger, [
          {
            type: 'token.created',
            actor: 'cli',
            subject: id,
            data: { role: 'admin', user: 'root', groups: [] },
          },
        ]);
      }
      await tx.revokeToken('tok_old_revoked', new Date().toISOString());
      await ledger.log.append(tx.ledger, [
        { type: 'token.revoked', actor: 'cli', subject: 'tok_old_revoked', data: {} },
      ]);
    });
    return tokens;
  } finally {
    await store.close();
  }
}

async function whoAmI(databaseUrl: string, keyPath: string, token: string) {
  const warnings: string[] = [];
  const alerts: { details: object; message: string }[] = [];
  const logger = {
    warn: (_: object, message: string) => warnings.push(message),
    error: (details: object, message: string) => alerts.push({ details, message }),
  };
  const arbiter = await startArbiter({ databaseUrl, ledgerKeyPath: keyPath, logger });
  const { app } = await buildServer(arbiter, { webRoot: false });
  try {
    const response = await app.inject({
      method: 'GET',
      url: '/v1/me',
      headers: { authorization: `Bearer ${token}` },
    });
    return { status: response.statusCode, body: response.json(), warnings, alerts };
  } finally {
    await app.close();
    await arbiter.close();
  }
}

for (const backend of ['sqlite', 'postgres'] as const) {
  describe.skipIf(backend === 'postgres' && !hasPostgres)(
    `tokens issued before token hashes, on ${backend}`,
    () => {
      it('are refused until `arbiter tokens attest --by` records them; then they work and the state audit agrees', async () => {
        const dir = tempDir('arbiter-attest-');
        const databaseUrl =
          backend === 'sqlite' ? `sqlite:${join(dir, 'arbiter.db')}` : await createTestDatabase();
        const keyPath = join(dir, 'ledger.key');
        const { active, revoked } = await seedOldTokens(databaseUrl, keyPath);
        const db = ['--db', databaseUrl, '--ledger-key', keyPath];

        const before = await whoAmI(databaseUrl, keyPath, active);
        expect(before.status).toBe(401);
        expect(before.body.error).toMatchObject({
          code: 'ARB_ERR_AUTH_UNRECORDED',
          details: { reason: 'unattested' },
        });
        // The start says which tokens wait and what to run (the revoked one does not wait).
        expect(before.warnings.join('\n')).toContain(
          '1 token was issued before the ledger recorded token hashes',
        );
        expect(before.warnings.join('\n')).toContain('arbiter tokens attest --by NAME');
        // The refusal is an alert in the log, naming the token and why.
        expect(before.alerts).toEqual([
          {
            details: { alert: 'state-unsupported', token: 'tok_old_admin', reason: 'unattested' },
            message: expect.stringContaining(
              'token tok_old_admin was issued before the ledger recorded token hashes',
            ),
          },
        ]);
        const audit = cli(['ledger', 'verify', ...db]);
        expect(audit.code).toBe(1);
        expect(audit.stdout).toContain('token tok_old_admin: unattested');
        expect(audit.stdout).not.toContain('tok_old_revoked');

        expect(cli(['tokens', 'attest', ...db]).code).toBe(2); // --by is required
        // A dry run lists what the admin would vouch for, and writes nothing.
        const dry = cli(['tokens', 'attest', '--by', 'alice', '--dry-run', ...db]);
        expect(dry.stdout.trim()).toBe('would attest tok_old_admin  admin user root');
        const attest = cli(['tokens', 'attest', '--by', 'alice', ...db]);
        expect(attest.stderr).toBe('');
        expect(attest.stdout.trim()).toBe('attested tok_old_admin  admin user root');
        // Once is enough: nothing is attested twice.
        expect(cli(['tokens', 'attest', '--by', 'alice', ...db]).stdout).toContain('no tokens to attest');

        const after = await whoAmI(databaseUrl, keyPath, active);
        expect(after.status).toBe(200);
        expect(after.warnings.join('\n')).not.toContain('attest');
        expect(after.alerts).toEqual([]);
        expect((await whoAmI(databaseUrl, keyPath, revoked)).status).toBe(401);
        expect(cli(['ledger', 'verify', ...db]).code).toBe(0);

        // The entry names the admin who attested and records the token's hash, role and user.
        const store = await openStore(databaseUrl);
        try {
          const [hint] = await store.ledgerEntriesAbout({
            subject: 'tok_old_admin',
            types: ['token.attested'],
            limit: 5,
          });
          const decoded = decodeEntry(hint!.bytes, hint!.seq);
          expect('entry' in decoded && decoded.entry).toMatchObject({
            type: 'token.attested',
            actor: 'alice',
            data: { hash: tokenHash(active), role: 'admin', user: 'root', groups: [] },
          });
        } finally {
          await store.close();
        }
      }, 120_000);
    },
  );
}
