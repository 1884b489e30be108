import type { DecisionReads, DecisionWrites } from '../decisions/records.js';
import type { GateRunReads, GateRunWrites } from '../gate/records.js';
import type { TokenReads, TokenWrites } from '../identity/records.js';
import type { IncidentReads, IncidentWrites } from '../incidents/records.js';
import type { DeliveryReads, DeliveryWrites } from '../integrations/records.js';
import type { MonitorReads, MonitorWrites } from '../monitor/records.js';
import type { NotificationReads, NotificationWrites } from '../notify/records.js';
import type { AutonomyReads, AutonomyWrites } from '../registry/autonomy-records.js';
import type { SystemReads, SystemWrites } from '../registry/records.js';
import type { CosignatureReads, CosignatureWrites } from '../witness/records.js';

/**
 * The rows Arbiter keeps besides the ledger, shared by both stores. Each domain folder owns its
 * record types and the ports that read and write them (as `ledger/storage.ts` does); this module
 * gathers them into the one interface the stores implement, and re-exports the row types so
 * store code can name them from one place.
 */

export * from '../decisions/records.js';
export type * from '../gate/records.js';
export * from '../identity/records.js';
export type * from '../incidents/records.js';
export type * from '../integrations/records.js';
export type * from '../monitor/records.js';
export type * from '../notify/records.js';
export type * from '../registry/autonomy-records.js';
export type * from '../registry/records.js';
export type * from '../witness/records.js';

/** Reads, from committed state (Store) or inside a transaction (StoreTransaction). */
export interface RecordReads
  extends SystemReads,
    TokenReads,
    DecisionReads,
    NotificationReads,
    GateRunReads,
    MonitorReads,
    IncidentReads,
    AutonomyReads,
    CosignatureReads,
    DeliveryReads {}

export interface RecordWrites
  extends SystemWrites,
    TokenWrites,
    DecisionWrites,
    NotificationWrites,
    GateRunWrites,
    MonitorWrites,
    IncidentWrites,
    AutonomyWrites,
    CosignatureWrites,
    DeliveryWrites {}
