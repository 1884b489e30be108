import { randomBytes } from 'node:crypto';
import { sha256Hex } from '../../core/digest.js';
import { ArbiterError } from '../../core/errors.js';
import type { IdGenerator } from '../../core/ids.js';
import { TtlCache } from '../../core/ttl-cache.js';
import { recordedToken, tokenEntryData, tokenEntryTypes } from '../../identity/ledger-state.js';
import { foldUserName, normaliseUserName } from '../../identity/names.js';
import type { Principal } from '../../identity/principal.js';
import type { Role, TokenRow } from '../../identity/records.js';
import { decodeEntry, type LedgerEntry } from '../../ledger/entry.js';
import type { Store } from '../../store/store.js';
import type { Ledger } from '../ledger/ledger.js';
import type { StateChecks } from '../ledger/state-checks.js';

const tokenPattern = /^arb_[A-Za-z0-9_-]{43}$/;

/** A new bearer token: `arb_` and 256 random bits, base64url. */
export function newToken(): string {
  return `arb_${randomBytes(32).toString('base64url')}`;
}

/** Tokens are stored only as this hash. */
export function tokenHash(token: string): string {
  return sha256Hex(token);
}

export interface TokenRequest {
  role: Role;
  systemId?: string;
  user?: string;
  groups?: string[];
  label?: string;
}

export interface TokenServiceDeps {
  store: Store;
  ledger: Ledger;
  clock: () => Date;
  ids: IdGenerator;
  /** Proves each token row against its ledger entries before it authenticates (the server always passes it). */
  checks?: StateChecks;
}

/**
 * Token issuing, revocation and authentication. Every issue and revocation is a ledger entry.
 * Authentication results are cached for one second: a revocation takes effect at once on this
 * server and within a second on other replicas.
 */
export class TokenService {
  // On Arbiter's clock, so tests move past the second instead of sleeping through it.
  private readonly cache = new TtlCache<string, Principal>(1_000, 10_000, () => this.clock().getTime());

  private readonly store: Store;
  private readonly ledger: Ledger;
  private readonly clock: () => Date;
  private readonly ids: IdGenerator;
  private readonly checks: StateChecks | undefined;

  constructor({ store, ledger, clock, ids, checks }: TokenServiceDeps) {
    this.store = store;
    this.ledger = ledger;
    this.clock = clock;
    this.ids = ids;
    this.checks = checks;
  }

  /** Issues a token; the value is returned once and never stored. */
  async create(request: TokenRequest, by: string): Promise<{ token: string; row: TokenRow }> {
    if (request.role === 'agent' && !request.systemId)
      throw new ArbiterError('ARB_ERR_USAGE', 'an agent token needs --system ID');
    if (request.role !== 'agent' && request.systemId)
      throw new ArbiterError('ARB_ERR_USAGE', 'only agent tokens are bound to a System');
    if (request.role !== 'agent' && !request.user)
      throw new ArbiterError('ARB_ERR_USAGE', `a ${request.role} token needs --user NAME`);
    if (request.role === 'agent' && !(await this.store.getSystem(request.systemId!))) {
      throw new ArbiterError('ARB_ERR_NOT_FOUND', `System ${request.systemId} is not registered`);
    }
    const user = request.user === undefined ? undefined : normaliseUserName(request.user);
    if (user !== undefined && (await this.store.getSystem(user))) {
      throw new ArbiterError(
        'ARB_ERR_IDENTITY_NAME_TAKEN',
        `${user} is a registered System's id; a person needs another name`,
        { details: { reason: 'system-id' } },
      );
    }
    const token = newToken();
    const row: TokenRow = {
      id: this.ids('tok'),
      hash: tokenHash(token),
      role: request.role,
      ...(request.systemId ? { systemId: request.systemId } : {}),
      ...(user ? { userName: user } : {}),
      groups: request.groups ?? [],
      ...(request.label ? { label: request.label } : {}),
      createdAt: this.clock().toISOString(),
    };
    await this.store.write(async (tx) => {
      await tx.insertToken(row);
      await this.ledger.log.append(tx.ledger, [
        {
          type: 'token.created',
          actor: by,
          subject: row.id,
          data: tokenEntryData(row),
        },
      ]);
    });
    return { token, row };
  }

  /**
   * Records a `token.attested` entry, naming `by`, for every token the ledger holds no hash of —
   * those issued before `token.created` recorded hashes. Run once by an admin after upgrading; the
   * admin vouches that these rows are the tokens that were issued. Returns the rows attested (with
   * `dryRun`, the rows that would be, and nothing is written).
   */
  async attest(by: string, { dryRun = false }: { dryRun?: boolean } = {}): Promise<TokenRow[]> {
    return this.store.write(async (tx) => {
      const attested: TokenRow[] = [];
      for (const row of await tx.listTokens()) {
        const hints = await tx.ledgerEntriesAbout({
          subject: row.id,
          types: [...tokenEntryTypes],
          limit: 1_000,
        });
        const entries: LedgerEntry[] = [];
        for (const hint of hints) {
          const decoded = decodeEntry(hint.bytes, hint.seq);
          if ('entry' in decoded) entries.push(decoded.entry);
        }
        const recorded = recordedToken(entries);
        if (recorded?.hash !== undefined || row.revokedAt) continue;
        if (!dryRun)
          await this.ledger.log.append(tx.ledger, [
            { type: 'token.attested', actor: by, subject: row.id, data: tokenEntryData(row) },
          ]);
        attested.push(row);
      }
      return attested;
    });
  }

  async revoke(id: string, by: string): Promise<void> {
    await this.store.write(async (tx) => {
      this.cache.deleteWhere((principal) => principal.tokenId === id);
      this.checks?.tokenRevoked(id);
      if (!(await tx.revokeToken(id, this.clock().toISOString()))) {
        throw new ArbiterError('ARB_ERR_NOT_FOUND', `no active token ${id}`);
      }
      await this.ledger.log.append(tx.ledger, [{ type: 'token.revoked', actor: by, subject: id, data: {} }]);
    });
  }

  async list(): Promise<TokenRow[]> {
    return this.store.listTokens();
  }

  /** The principal of a bearer token; 401 when absent, malformed, unknown or revoked. */
  async authenticate(token: string | undefined): Promise<Principal> {
    if (!token) throw new ArbiterError('ARB_ERR_AUTH_REQUIRED', 'send Authorization: Bearer arb_…');
    if (!tokenPattern.test(token))
      throw new ArbiterError('ARB_ERR_AUTH_INVALID', 'the bearer token is not an Arbiter token');
    const hash = tokenHash(token);
    return this.cache.load(hash, () => this.principalOf(hash));
  }

  /** The principal of the token with this hash, read and proven against the ledger. */
  private async principalOf(hash: string): Promise<Principal> {
    const row = await this.store.tokenByHash(hash);
    if (!row || row.revokedAt)
      throw new ArbiterError('ARB_ERR_AUTH_INVALID', 'the bearer token is unknown or revoked');
    if (!this.checks) throw new Error('TokenService.authenticate needs the state checks (deps.checks)');
    await this.checks.token(row);
    const principal: Principal = {
      tokenId: row.id,
      role: row.role,
      ...(row.systemId ? { systemId: row.systemId } : {}),
      // Tokens from before names were normalised hold the name as typed: compare its folded form.
      ...(row.userName ? { user: foldUserName(row.userName) } : {}),
      groups: row.groups,
    };
    return principal;
  }
}
