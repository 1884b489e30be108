import type { JsonObject } from '../core/json.js';
import type { Store } from '../store/store.js';
import type { Ledger } from './ledger.js';
import { actorId, type Principal, requireRole } from './principal.js';

/** Event types agents may put in the ledger themselves (the MCP proxy reports tool changes). */
export const reportableEvents = ['mcp.tool_changed', 'mcp.tool_blocked'] as const;
export type ReportableEvent = (typeof reportableEvents)[number];

/** Records an event an agent reports, attributed to the agent; returns its ledger index. */
export async function recordReport(
  store: Store,
  ledger: Ledger,
  principal: Principal,
  report: { type: ReportableEvent; subject: string; data: JsonObject },
): Promise<number> {
  requireRole(principal, 'agent');
  const [entry] = await store.write((tx) =>
    ledger.log.append(tx.ledger, [
      { type: report.type, actor: actorId(principal), subject: report.subject, data: report.data },
    ]),
  );
  return entry!.seq;
}
