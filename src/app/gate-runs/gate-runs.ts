import { canonicalJson } from '../../core/canonical-json.js';
import { sha256Hex } from '../../core/digest.js';
import { ArbiterError } from '../../core/errors.js';
import type { IdGenerator } from '../../core/ids.js';
import { type JsonObject, jsonDepthExceeds } from '../../core/json.js';
import type { GateRunFilter, GateRunRow, GateRunSummaryRow } from '../../gate/records.js';
import { actorRef, type Principal, requireRole } from '../../identity/principal.js';
import { gatePassed } from '../../policy/evaluate-gate.js';
import type { Store } from '../../store/store.js';
import type { Ledger } from '../ledger/ledger.js';
import type { PolicyHolder } from '../policies/policies.js';
import type { GateRunReport, GateRunRequest } from './report.js';

/** Deeper than any report `arbiter gate` writes; bounds the recursion of hashing and storing. */
const maxReportDepth = 64;

/**
 * The `gate.run` ledger entry's data: what was gated and the verdict, each check's outcome, the
 * model digests, and the SHA-256 of the full stored report, which the entry thereby pins.
 */
export function gateRunEntryData(id: string, report: GateRunReport, reportSha256: string): JsonObject {
  return {
    gateRun: id,
    system: report.release.system,
    version: report.release.version,
    release: report.release.name,
    passed: report.passed,
    bundle: report.bundle,
    checks: report.checks.map(({ policy, check, status, severity }) => ({ policy, check, status, severity })),
    models: report.summary.models.map((model) => ({ path: model.path, sha256: model.sha256 ?? null })),
    bomSerialNumber: report.summary.bom.serialNumber ?? null,
    // What the decision rested on: each input file (release, lockfiles, SARIF, SBOM, VEX,
    // evaluation results, the OSV database…) by SHA-256.
    inputs: (report.summary.inputs ?? []).map(({ kind, path, sha256 }) => ({ kind, path, sha256 })),
    // The data the model learned from, as `arbiter data check` found it: a trace reaches it from here.
    ...(report.summary.datasets ? { datasets: report.summary.datasets.map(datasetLedgerFacts) } : {}),
    reportSha256,
  };
}

type DatasetSummary = NonNullable<GateRunReport['summary']['datasets']>[number];

/** What the ledger keeps of a checked data set: its digest, its check result's digest and the verdict. */
function datasetLedgerFacts({
  name,
  sha256,
  checksSha256,
  rows,
  passed,
  errors,
  warnings,
  personalData,
}: DatasetSummary) {
  return { name, sha256, checksSha256, rows, passed, errors, warnings, personalData };
}

/** Observers of recorded gate runs, for metrics. */
export interface GateRunObserver {
  gateRunRecorded?(row: GateRunSummaryRow): void;
}

export interface GateRunServiceDeps {
  store: Store;
  ledger: Ledger;
  policies: PolicyHolder;
  clock: () => Date;
  ids: IdGenerator;
  observer?: GateRunObserver;
}

/**
 * CI gate runs sent by `arbiter gate --record`: each is stored with its full report and a
 * `gate.run` ledger entry about its System, in one transaction.
 */
export class GateRunService {
  private readonly store: Store;
  private readonly ledger: Ledger;
  private readonly policies: PolicyHolder;
  private readonly clock: () => Date;
  private readonly ids: IdGenerator;
  private readonly observer: GateRunObserver;

  constructor({ store, ledger, policies, clock, ids, observer = {} }: GateRunServiceDeps) {
    this.store = store;
    this.ledger = ledger;
    this.policies = policies;
    this.clock = clock;
    this.ids = ids;
    this.observer = observer;
  }

  /** Records a gate run (agents, admins). A repeated idempotency key returns the first record. */
  async record(
    principal: Principal,
    body: GateRunRequest,
  ): Promise<{ run: GateRunSummaryRow; created: boolean }> {
    requireRole(principal, 'agent', 'admin');
    const { idempotencyKey, ...report } = body;
    if (jsonDepthExceeds(report, maxReportDepth)) {
      throw new ArbiterError(
        'ARB_ERR_REQUEST_INVALID',
        `the gate run nests deeper than ${maxReportDepth} levels`,
      );
    }
    // The verdict is what the checks say, not what the sender says: a pass must rest on checks that held.
    const implied = report.checks.length > 0 && gatePassed(report.checks);
    if (report.passed !== implied) {
      const failed = report.checks.filter((check) => check.status === 'failed' && check.severity === 'error');
      throw new ArbiterError(
        'ARB_ERR_GATE_RESULT_INCONSISTENT',
        report.checks.length === 0
          ? 'the gate run has no checks, so it cannot pass'
          : `the gate run says passed: ${report.passed}, but ${failed.length} error-severity check${failed.length === 1 ? '' : 's'} failed`,
        {
          details: {
            passed: report.passed,
            implied,
            failed: failed.map((check) => `${check.policy}/${check.check}`),
          },
        },
      );
    }
    const recordedBy = actorRef(principal);
    const reportSha256 = sha256Hex(canonicalJson(report as unknown as JsonObject));
    // Before the System check: a retry still gets its record after the System left the bundle.
    if (idempotencyKey) {
      const existing = await this.store.gateRunByIdempotencyKey(recordedBy, idempotencyKey);
      if (existing) return { run: sameReport(existing, reportSha256, idempotencyKey), created: false };
    }
    const systemId = report.release.system;
    const bundle = this.policies.bundle;
    if (!bundle.system(systemId)) {
      throw new ArbiterError(
        'ARB_ERR_GATE_SYSTEM_UNKNOWN',
        `the release is for System "${systemId}", which the policy bundle in force (${bundle.digest}) does not register; add a kind: System document for it to the governance repository`,
        { details: { system: systemId, bundle: bundle.digest } },
      );
    }

    const id = this.ids('gate');
    const result = await this.store.write(async (tx) => {
      if (idempotencyKey) {
        const raced = await tx.gateRunByIdempotencyKey(recordedBy, idempotencyKey);
        if (raced) return { row: raced, created: false };
      }
      const [entry] = await this.ledger.log.append(tx.ledger, [
        {
          type: 'gate.run',
          actor: recordedBy,
          subject: systemId,
          data: gateRunEntryData(id, report, reportSha256),
        },
      ]);
      const row: GateRunRow = {
        id,
        systemId,
        version: report.release.version,
        releaseName: report.release.name,
        passed: report.passed,
        bundle: report.bundle,
        startedAt: report.startedAt,
        recordedAt: this.clock().toISOString(),
        recordedBy,
        ...(idempotencyKey ? { idempotencyKey } : {}),
        reportSha256,
        ledgerIndex: entry!.seq,
        report: report as unknown as JsonObject,
      };
      await tx.insertGateRun(row);
      const { report: _, ...summary } = row;
      return { row: summary as GateRunSummaryRow, created: true };
    });
    if (!result.created) sameReport(result.row, reportSha256, idempotencyKey!);
    else this.observer.gateRunRecorded?.(result.row);
    return { run: result.row, created: result.created };
  }

  /** One gate run with its report (approvers, auditors, admins). */
  async get(principal: Principal, id: string): Promise<GateRunRow> {
    requireRole(principal, 'approver', 'auditor', 'admin');
    const row = await this.store.gateRun(id);
    if (!row) throw new ArbiterError('ARB_ERR_NOT_FOUND', `no gate run ${id}`);
    return row;
  }

  /** Gate runs newest first, without their reports (approvers, auditors, admins). */
  async list(principal: Principal, filter: GateRunFilter): Promise<GateRunSummaryRow[]> {
    requireRole(principal, 'approver', 'auditor', 'admin');
    return this.store.gateRuns(filter);
  }
}

/** A repeated idempotency key must come with the same report. */
function sameReport(existing: GateRunSummaryRow, reportSha256: string, key: string): GateRunSummaryRow {
  if (existing.reportSha256 !== reportSha256) {
    throw new ArbiterError(
      'ARB_ERR_IDEMPOTENCY_CONFLICT',
      `idempotency key ${key} was used for a different gate run (${existing.id})`,
      { details: { gateRun: existing.id } },
    );
  }
  return existing;
}
