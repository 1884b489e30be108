import type { LedgerSource } from '../ledger/audit.js';
import type { Json } from '../ledger/canonical-json.js';
import type { ApiClient } from './client.js';

/** The ledger API (GET /v1/ledger/…) as the source the in-browser checks read. */
export function ledgerSource(api: ApiClient): LedgerSource {
  return {
    checkpoint: () => api.text('/v1/ledger/checkpoint'),
    key: () => api.text('/v1/ledger/key'),
    witnessKeys: () => api.text('/v1/ledger/witnesses'),
    entry: async (seq) => {
      const page = await api.get<{ entries: { seq: number; leafHash: string; entry: Json }[] }>(
        '/v1/ledger/entries',
        { start: seq, end: seq + 1 },
      );
      return page.entries[0];
    },
    inclusionProof: (index, treeSize) => api.get('/v1/ledger/proofs/inclusion', { index, treeSize }),
    consistencyProof: (first, second) => api.get('/v1/ledger/proofs/consistency', { first, second }),
  };
}
