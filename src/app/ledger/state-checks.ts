import { ArbiterError } from '../../core/errors.js';
import { type Logger, silentLogger } from '../../core/logger.js';
import { TtlCache } from '../../core/ttl-cache.js';
import {
  decisionEntryTypes,
  decisionMismatches,
  describeMismatches,
  type RecordedDecision,
  recordedDecision,
} from '../../decisions/ledger-state.js';
import type { ApprovalRow, DecisionRow } from '../../decisions/records.js';
import { recordedToken, tokenEntryTypes, tokenMismatch } from '../../identity/ledger-state.js';
import type { TokenRow } from '../../identity/records.js';
import { recordedSystemStatus, systemStatusEntryTypes } from '../../registry/ledger-state.js';
import type { SystemRow } from '../../registry/records.js';
import type { LedgerFacts } from './ledger-facts.js';

/**
 * The checks every state-changing step runs before it relies on a stored fact: the fact must be
 * what the ledger records, proven against the trusted tree (LedgerFacts). When they disagree the
 * step is refused (fail closed) and an alert is logged at error level, once per refusal, naming
 * the row and the mismatch — someone changed the database without the signing key.
 */
export class StateChecks {
  /** Token rows proven against their entries: id → the row's fields as proven. Cleared by revocation. */
  private readonly provenTokens = new Map<string, string>();
  /** A System's recorded status is read again after a second, like the System itself. */
  private readonly systemStatuses = new TtlCache<string, SystemRow['status']>(1_000);
  private readonly frozenOnlyInTable = new Set<string>();

  constructor(
    private readonly facts: LedgerFacts,
    private readonly logger: Logger = silentLogger,
  ) {}

  /**
   * What the ledger records of `row`, refusing when the row (and, when given, its approval rows)
   * differ from it. The row must be the one the step is about to act on.
   */
  async decision(row: DecisionRow, approvals?: readonly ApprovalRow[]): Promise<RecordedDecision> {
    const created = await this.facts.entry(row.ledgerIndex);
    const others =
      created.type === 'decision.created' && created.subject === row.id
        ? await this.facts.about(row.id, decisionEntryTypes)
        : [];
    const recorded = recordedDecision(others);
    const problems = decisionMismatches(row, approvals, recorded);
    if (problems.length > 0) {
      const message = `decision ${row.id}'s stored state is not what the ledger records (${describeMismatches(problems)}): refused`;
      this.alert({ decision: row.id, problems }, message);
      throw new ArbiterError('ARB_ERR_STATE_UNSUPPORTED', message, {
        details: { reason: 'decision-state', decision: row.id, problems: problems.map((p) => ({ ...p })) },
      });
    }
    return recorded!;
  }

  /**
   * Refuses a System whose stored status is `active` while the ledger records it frozen. A stored
   * `frozen` the ledger does not record is logged, not refused: frozen already stops everything.
   */
  async system(row: SystemRow): Promise<void> {
    const read = async () => recordedSystemStatus(await this.facts.about(row.id, systemStatusEntryTypes));
    let recorded = await this.systemStatuses.load(row.id, read);
    // A cached status that disagrees may only be stale (frozen or unfrozen a moment ago): read again.
    if (recorded !== row.status) {
      recorded = await read();
      this.systemStatuses.set(row.id, recorded);
    }
    if (recorded === row.status) return;
    const message = `System ${row.id} is ${row.status} in the database but ${recorded} in the ledger`;
    if (recorded !== 'frozen') {
      // Frozen in the table only: frozen already stops everything. Said once per process.
      if (!this.frozenOnlyInTable.has(row.id))
        this.alert({ system: row.id, table: row.status, ledger: recorded }, message);
      this.frozenOnlyInTable.add(row.id);
      return;
    }
    this.alert({ system: row.id, table: row.status, ledger: recorded }, message);
    throw new ArbiterError('ARB_ERR_STATE_UNSUPPORTED', `${message}: refused`, {
      details: { reason: 'system-status', system: row.id, table: row.status, ledger: recorded },
    });
  }

  /**
   * Refuses a token row the ledger does not record as issued with exactly these fields, or records
   * as revoked. Proven once per process; a revocation here forgets it.
   */
  async token(row: TokenRow): Promise<void> {
    const fields = JSON.stringify([row.hash, row.role, row.systemId, row.userName, row.groups]);
    if (this.provenTokens.get(row.id) === fields) return;
    const mismatch = tokenMismatch(row, recordedToken(await this.facts.about(row.id, tokenEntryTypes)));
    if (mismatch) {
      this.alert({ token: row.id, reason: mismatch.reason }, mismatch.message);
      throw new ArbiterError('ARB_ERR_AUTH_UNRECORDED', `the bearer token is not recorded in the ledger`, {
        details: { reason: mismatch.reason },
      });
    }
    this.provenTokens.set(row.id, fields);
  }

  /** The active tokens issued before `token.created` recorded hashes and not attested since (no alert: a start-up note). */
  async unattestedTokens(rows: readonly TokenRow[]): Promise<string[]> {
    const unattested: string[] = [];
    for (const row of rows) {
      if (row.revokedAt) continue;
      const mismatch = tokenMismatch(row, recordedToken(await this.facts.about(row.id, tokenEntryTypes)));
      if (mismatch?.reason === 'unattested') unattested.push(row.id);
    }
    return unattested;
  }

  /** Forgets a proven token (it was revoked). */
  tokenRevoked(id: string): void {
    this.provenTokens.delete(id);
  }

  private alert(details: object, message: string): void {
    this.logger.error({ alert: 'state-unsupported', ...details }, message);
  }
}
