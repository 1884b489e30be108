import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { cosignatureLine } from '../../ledger/cosignature.js';
import type { NoteSigner } from '../../ledger/note.js';
import {
  type AddCheckpointDecision,
  decideAddCheckpoint,
  parseAddCheckpointRequest,
  type WitnessedHead,
  type WitnessedLog,
} from '../../witness/add-checkpoint.js';

/** What the witness answers: an HTTP status, a content type and a body, per tlog-witness. */
export interface WitnessResponse {
  status: number;
  contentType: string;
  body: string;
  /** For the log line: the origin and why (never the key, never the whole body). */
  origin?: string;
  reason?: string;
}

/** Refused requests kept as evidence of log misbehaviour (the spec allows it); the oldest go first. */
const maxEvidenceRows = 1000;

/**
 * The witness's memory, in SQLite: per log origin the latest checkpoint it cosigned. Checking a
 * request against it and storing the new checkpoint happen in one IMMEDIATE transaction: no
 * other request — in this process or another on the same file — runs between the check and the
 * store, so the witness never rolls a log back and never cosigns two roots for one size.
 */
export class WitnessState {
  private readonly db: Database.Database;
  private readonly addTransaction: (body: string, now: Date) => WitnessResponse;

  private constructor(
    path: string,
    private readonly logs: readonly WitnessedLog[],
    private readonly signer: NoteSigner,
  ) {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.db.pragma('busy_timeout = 5000');
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS witness_checkpoints (
        origin TEXT PRIMARY KEY,
        size INTEGER NOT NULL,
        root BLOB NOT NULL,
        note TEXT NOT NULL,
        cosigned_at INTEGER NOT NULL
      );
      CREATE TABLE IF NOT EXISTS witness_evidence (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        origin TEXT NOT NULL,
        status INTEGER NOT NULL,
        reason TEXT NOT NULL,
        request TEXT NOT NULL,
        received_at INTEGER NOT NULL
      );
    `);
    const latest = this.db.prepare<[string], { size: number; root: Buffer }>(
      'SELECT size, root FROM witness_checkpoints WHERE origin = ?',
    );
    const store = this.db.prepare(
      `INSERT INTO witness_checkpoints (origin, size, root, note, cosigned_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (origin) DO UPDATE SET size = excluded.size, root = excluded.root,
         note = excluded.note, cosigned_at = excluded.cosigned_at`,
    );
    const keepEvidence = this.db.prepare(
      'INSERT INTO witness_evidence (origin, status, reason, request, received_at) VALUES (?, ?, ?, ?, ?)',
    );
    const trimEvidence = this.db.prepare(
      'DELETE FROM witness_evidence WHERE id <= (SELECT MAX(id) FROM witness_evidence) - ?',
    );
    const transaction = this.db.transaction((body: string, now: Date): WitnessResponse => {
      const parsed = parseAddCheckpointRequest(body);
      if (!parsed.ok) return text(400, parsed.reason);
      const decision: AddCheckpointDecision = decideAddCheckpoint({
        request: parsed.request,
        logs: this.logs,
        latest: (origin): WitnessedHead | undefined => {
          const row = latest.get(origin);
          return row ? { size: row.size, root: new Uint8Array(row.root) } : undefined;
        },
      });
      const seconds = Math.floor(now.getTime() / 1000);
      if (decision.status === 200) {
        const { checkpoint } = decision;
        store.run(
          checkpoint.origin,
          checkpoint.size,
          Buffer.from(checkpoint.root),
          parsed.request.note,
          seconds,
        );
        return {
          status: 200,
          contentType: 'text/plain; charset=utf-8',
          body: cosignatureLine(decision.body, this.signer, seconds),
          origin: checkpoint.origin,
        };
      }
      // A signed checkpoint that contradicts what the witness saw (not a stale size) may prove a fork: keep it.
      const conflicting =
        decision.status === 422 || (decision.status === 409 && decision.size === parsed.request.oldSize);
      if (conflicting && decision.origin) {
        keepEvidence.run(decision.origin, decision.status, decision.reason, body, seconds);
        trimEvidence.run(maxEvidenceRows);
      }
      if (decision.status === 409)
        return {
          status: 409,
          contentType: 'text/x.tlog.size',
          body: `${decision.size}\n`,
          origin: decision.origin,
          reason: decision.reason,
        };
      return {
        ...text(decision.status, decision.reason),
        ...(decision.origin ? { origin: decision.origin } : {}),
      };
    });
    this.addTransaction = (body, now) => transaction.immediate(body, now);
  }

  /** Opens (or creates) the state file; `logs` are the logs this witness cosigns. */
  static open(options: { path: string; logs: readonly WitnessedLog[]; signer: NoteSigner }): WitnessState {
    return new WitnessState(options.path, options.logs, options.signer);
  }

  /** Handles one add-checkpoint request body atomically; `now` is the cosignature's time. */
  addCheckpoint(body: string, now: Date): WitnessResponse {
    return this.addTransaction(body, now);
  }

  /** The latest cosigned checkpoint of a log, if any. */
  latest(origin: string): { size: number; root: Uint8Array; note: string } | undefined {
    const row = this.db
      .prepare<[string], { size: number; root: Buffer; note: string }>(
        'SELECT size, root, note FROM witness_checkpoints WHERE origin = ?',
      )
      .get(origin);
    return row ? { size: row.size, root: new Uint8Array(row.root), note: row.note } : undefined;
  }

  /** Requests refused with 409 or 422, newest first: what a fork investigation starts from. */
  evidence(limit = 100): { origin: string; status: number; reason: string; request: string }[] {
    return this.db
      .prepare<[number], { origin: string; status: number; reason: string; request: string }>(
        'SELECT origin, status, reason, request FROM witness_evidence ORDER BY id DESC LIMIT ?',
      )
      .all(limit);
  }

  close(): void {
    this.db.close();
  }
}

function text(status: number, reason: string): WitnessResponse {
  return { status, contentType: 'text/plain; charset=utf-8', body: `${reason}\n`, reason };
}
