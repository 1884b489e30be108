import type { SystemRow } from '../../src/registry/records.js';

/** An active agent System `deploy-bot` from the bundle, with `spec` (dates fixed). */
export const systemRow = (spec: SystemRow['spec']): SystemRow => ({
  id: 'deploy-bot',
  kind: 'agent',
  spec,
  source: 'bundle',
  status: 'active',
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
});

/** The deploy-bot the ledger tests append for (and read ahead, as a decision would). */
export const deployBot = systemRow({
  owner: { team: 'platform', person: 'dana' },
  onCall: { team: 'oncall' },
  autonomy: 2,
  riskTier: 'high',
});
