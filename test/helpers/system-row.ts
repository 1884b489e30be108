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
