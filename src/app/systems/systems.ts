import { parseDuration } from '../../core/duration.js';
import { ArbiterError } from '../../core/errors.js';
import { TtlCache } from '../../core/ttl-cache.js';
import { revokeTransition, transitionEntryType } from '../../decisions/lifecycle.js';
import { actorRef, type Principal, withAuthentication } from '../../identity/principal.js';
import type { PolicyBundle } from '../../policy/bundle.js';
import type { SystemRow } from '../../registry/records.js';
import { mayGovern, ownerTeamOf, systemSpecOf } from '../../registry/systems.js';
import type { Store, StoreTransaction } from '../../store/store.js';
import { decisionEvent, systemEvent } from '../decisions/notification-events.js';
import type { Ledger } from '../ledger/ledger.js';
import type { EventSink } from '../notifications/notifications.js';

// The wire-shape modules (decisions/view.ts, notification-events.ts) name the owner team from here.
export { mayGovern, ownerTeamOf } from '../../registry/systems.js';

import type { SystemRegistration } from './registration.js';

export type { SystemRegistration };

export interface SystemServiceDeps {
  store: Store;
  ledger: Ledger;
  clock: () => Date;
  sink?: EventSink;
}

/**
 * The registry of AI systems: synchronised from the governance repository on start and on
 * every policy reload, extended through the API, with the kill switch (freeze).
 */
export class SystemService {
  /** Hot-path lookups may be a second stale; the freeze is re-checked inside each decision's transaction. */
  private readonly cache = new TtlCache<string, SystemRow | null>(1_000);

  private readonly store: Store;
  private readonly ledger: Ledger;
  private readonly clock: () => Date;
  private readonly sink: EventSink;

  constructor({ store, ledger, clock, sink = { emit: async () => {} } }: SystemServiceDeps) {
    this.store = store;
    this.ledger = ledger;
    this.clock = clock;
    this.sink = sink;
  }

  /**
   * Upserts the bundle's Systems inside `tx`. A freeze survives reloads. A System that left the
   * repository is frozen (fail closed) rather than deleted, so its history stays readable.
   */
  async syncFromBundle(tx: StoreTransaction, bundle: PolicyBundle, by: string): Promise<void> {
    this.cache.clear();
    const now = this.clock().toISOString();
    const existing = new Map((await tx.listSystems()).map((row) => [row.id, row]));
    for (const system of bundle.systems) {
      const previous = existing.get(system.id);
      const row: SystemRow = {
        id: system.id,
        kind: system.kind,
        spec: systemSpecOf(system),
        source: 'bundle',
        status: previous?.status ?? system.status,
        ...(previous?.statusReason ? { statusReason: previous.statusReason } : {}),
        ...(previous?.statusBy ? { statusBy: previous.statusBy } : {}),
        ...(previous?.statusAt ? { statusAt: previous.statusAt } : {}),
        createdAt: previous?.createdAt ?? now,
        updatedAt: now,
      };
      const changed =
        !previous ||
        JSON.stringify(previous.spec) !== JSON.stringify(row.spec) ||
        previous.source !== 'bundle';
      await tx.upsertSystem(row);
      if (!previous && system.status === 'frozen') {
        // Ledgered like any freeze: the ledger, not the row, is what a System's status is checked against.
        await this.setStatus(tx, row, 'frozen', 'frozen in the governance repository', by);
      }
      if (changed) {
        await this.ledger.log.append(tx.ledger, [
          {
            type: 'system.registered',
            actor: by,
            subject: system.id,
            data: { kind: system.kind, source: 'bundle', spec: row.spec },
          },
        ]);
      }
    }
    const inBundle = new Set(bundle.systems.map((system) => system.id));
    for (const row of existing.values()) {
      if (row.source !== 'bundle' || inBundle.has(row.id) || row.status === 'frozen') continue;
      await this.setStatus(tx, row, 'frozen', 'removed from the governance repository', by);
      await this.revokeUnstarted(tx, row.id, 'removed from the governance repository', by);
    }
  }

  /** A System for the decision hot path (cached for a second), or undefined. */
  async lookup(id: string): Promise<SystemRow | undefined> {
    return (await this.cache.load(id, async () => (await this.store.getSystem(id)) ?? null)) ?? undefined;
  }

  async list(): Promise<SystemRow[]> {
    return this.store.listSystems();
  }

  async get(id: string): Promise<SystemRow> {
    const row = await this.store.getSystem(id);
    if (!row) throw new ArbiterError('ARB_ERR_NOT_FOUND', `no System ${id}`);
    return row;
  }

  /** Registers or updates a System through the API (admin). Systems from the repository are refused. */
  async register(
    principal: Principal,
    registration: SystemRegistration,
  ): Promise<{ row: SystemRow; created: boolean }> {
    if (principal.role !== 'admin')
      throw new ArbiterError('ARB_ERR_FORBIDDEN', 'only admins register Systems');
    const now = this.clock().toISOString();
    return this.store.write(async (tx) => {
      const previous = await tx.getSystem(registration.id);
      if (previous?.source === 'bundle') {
        throw new ArbiterError(
          'ARB_ERR_SYSTEM_CONFLICT',
          `System ${registration.id} is defined in the governance repository; change it there`,
        );
      }
      const { id, kind, status, ...rest } = registration;
      if (rest.errorBudget && parseDuration(rest.errorBudget.window) === undefined) {
        throw new ArbiterError(
          'ARB_ERR_REQUEST_INVALID',
          `errorBudget window "${rest.errorBudget.window}" is not a duration such as 7d or 24h`,
        );
      }
      const row: SystemRow = {
        id,
        kind,
        spec: systemSpecOf(rest as never),
        source: 'api',
        status: previous?.status ?? status ?? 'active',
        createdAt: previous?.createdAt ?? now,
        updatedAt: now,
      };
      this.cache.delete(id);
      await tx.upsertSystem(row);
      await this.ledger.log.append(tx.ledger, [
        {
          type: 'system.registered',
          actor: actorRef(principal),
          subject: id,
          data: { kind, source: 'api', spec: row.spec },
        },
      ]);
      if (!previous && row.status === 'frozen')
        await this.setStatus(tx, row, 'frozen', 'registered frozen', actorRef(principal));
      return { row: (await tx.getSystem(id))!, created: !previous };
    });
  }

  /**
   * The kill switch. Admins, and approvers of the System's owner team, may freeze and unfreeze.
   * Freezing also denies every pending decision of the System and revokes every allowed one not
   * yet started.
   */
  async setFrozen(principal: Principal, id: string, frozen: boolean, reason: string): Promise<SystemRow> {
    const row = await this.store.write(async (tx) => {
      const system = await tx.getSystem(id);
      if (!system) throw new ArbiterError('ARB_ERR_NOT_FOUND', `no System ${id}`);
      if (!mayGovern(principal, system)) {
        throw new ArbiterError(
          'ARB_ERR_FORBIDDEN',
          `only admins and approvers of the owner team (${ownerTeamOf(system) ?? 'none'}) may ${frozen ? 'freeze' : 'unfreeze'} ${id}`,
        );
      }
      await this.setStatus(tx, system, frozen ? 'frozen' : 'active', reason, actorRef(principal), principal);
      await this.sink.emit(tx, systemEvent(system, frozen, reason, actorRef(principal)));
      if (frozen) {
        await this.revokeUnstarted(tx, id, reason, actorRef(principal));
        for (const decision of await tx.pendingOfSystem(id)) {
          const at = this.clock().toISOString();
          const statusReason = `frozen: ${reason}`;
          await tx.updateDecisionStatus(decision.id, 'denied', statusReason, at);
          await this.ledger.log.append(tx.ledger, [
            {
              type: 'decision.denied',
              actor: actorRef(principal),
              subject: decision.id,
              data: { reason: 'frozen', detail: reason },
            },
          ]);
          await tx.addActivity({
            actorId: decision.actorId,
            action: decision.action,
            environment: decision.environment ?? '',
            at: this.clock(),
            denied: 1,
          });
          await tx.decisionChanged(decision.id);
          await this.sink.emit(
            tx,
            decisionEvent('decision.denied', { ...decision, status: 'denied', statusReason }, system),
          );
        }
      }
      return (await tx.getSystem(id))!;
    });
    return row;
  }

  /**
   * The kill switch stops what was allowed but not yet started, too: each such decision is
   * revoked (`decision.revoked`), so neither a replayed idempotency key nor a late claim runs it.
   */
  private async revokeUnstarted(
    tx: StoreTransaction,
    systemId: string,
    reason: string,
    by: string,
  ): Promise<void> {
    for (const decision of await tx.unstartedOfSystem(systemId)) {
      const transition = revokeTransition(reason, by);
      await tx.updateDecisionStatus(
        decision.id,
        transition.status,
        transition.reason,
        this.clock().toISOString(),
      );
      await this.ledger.log.append(tx.ledger, [
        {
          type: transitionEntryType(transition.status),
          actor: by,
          subject: decision.id,
          data: transition.data,
        },
      ]);
      await tx.decisionChanged(decision.id);
    }
  }

  private async setStatus(
    tx: StoreTransaction,
    system: SystemRow,
    status: SystemRow['status'],
    reason: string,
    by: string,
    principal?: Principal,
  ): Promise<void> {
    this.cache.delete(system.id);
    await tx.setSystemStatus(system.id, status, reason, by, this.clock().toISOString());
    await this.ledger.log.append(tx.ledger, [
      withAuthentication(principal, {
        type: status === 'frozen' ? 'system.frozen' : 'system.unfrozen',
        actor: by,
        subject: system.id,
        data: { reason },
      }),
    ]);
  }
}
