import type { JsonObject } from '../core/json.js';

/**
 * Registered AI systems as the stores keep them, and the ports that read and write them
 * (implemented by `store/`). Times are ISO 8601 UTC strings (`Date#toISOString`).
 */

/** A registered AI system as stored: from the governance repository (`bundle`) or the API (`api`). */
export interface SystemRow {
  id: string;
  kind: 'agent' | 'model';
  /** owner, onCall, autonomy, riskTier, description, operatingConditions — the System document's spec. */
  spec: JsonObject;
  source: 'bundle' | 'api';
  status: 'active' | 'frozen';
  statusReason?: string;
  statusBy?: string;
  statusAt?: string;
  createdAt: string;
  updatedAt: string;
}

export interface SystemReads {
  getSystem(id: string): Promise<SystemRow | undefined>;
  listSystems(): Promise<SystemRow[]>;
}

export interface SystemWrites {
  upsertSystem(row: SystemRow): Promise<void>;
  setSystemStatus(
    id: string,
    status: SystemRow['status'],
    reason: string,
    by: string,
    at: string,
  ): Promise<void>;
}
