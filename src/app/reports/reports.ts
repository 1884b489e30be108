import { type Static, Type } from '@sinclair/typebox';
import { canonicalJson } from '../../core/canonical-json.js';
import { ArbiterError } from '../../core/errors.js';
import type { JsonObject } from '../../core/json.js';
import { JsonValueSchema, literals } from '../../core/json-schema.js';
import { bounded } from '../../decisions/recorded-request.js';
import { actorRef, type Principal, requireRole } from '../../identity/principal.js';
import type { Store } from '../../store/store.js';
import type { Ledger } from '../ledger/ledger.js';

/** Event types agents may put in the ledger themselves (the MCP proxy reports tool changes). */
export const reportableEvents = ['mcp.tool_changed', 'mcp.tool_blocked'] as const;
export type ReportableEvent = (typeof reportableEvents)[number];

/** An event an agent reports for the ledger. */
export const ReportedEventSchema = Type.Object(
  {
    type: literals(reportableEvents),
    subject: Type.String({ minLength: 1, maxLength: 500 }),
    data: Type.Record(Type.String(), JsonValueSchema),
  },
  { additionalProperties: false },
);
export type ReportedEvent = Static<typeof ReportedEventSchema>;

/**
 * A reported event joins the trace of whatever its subject names, so an agent may name its own
 * decisions but no other record of Arbiter's: otherwise System A could write into System B's trace.
 * Other subjects (the MCP proxy's `server/tool`) are free text.
 */
async function requireOwnSubject(store: Store, principal: Principal, subject: string): Promise<void> {
  if (subject.startsWith('dec_')) {
    const decision = await store.getDecision(subject);
    if (!decision || decision.systemId !== principal.systemId)
      throw new ArbiterError('ARB_ERR_NOT_FOUND', `no decision ${subject}`);
  } else if (/^(inc|gate|tok)_/.test(subject)) {
    throw new ArbiterError(
      'ARB_ERR_REQUEST_INVALID',
      `an agent's event may be about its own decisions, not about ${subject}`,
    );
  }
}

/** Records an event an agent reports, attributed to the agent; returns its ledger index. */
export async function recordReport(
  store: Store,
  ledger: Ledger,
  principal: Principal,
  report: ReportedEvent,
): Promise<number> {
  requireRole(principal, 'agent');
  await requireOwnSubject(store, principal, report.subject);
  // `personal` is where an entry commits to erasable values: an agent may not forge commitments.
  if (Object.hasOwn(report.data, 'personal'))
    throw new ArbiterError('ARB_ERR_REQUEST_INVALID', 'event data may not use the reserved key "personal"');
  // The data is the agent's: values over the inline bound are kept as digest + size, and then the
  // verbatim data is an erasable personal value.
  const data = Object.fromEntries(
    Object.entries(report.data).map(([key, value]) => [key, bounded(value)]),
  ) as JsonObject;
  const elided = canonicalJson(data) !== canonicalJson(report.data as JsonObject);
  const [entry] = await store.write((tx) =>
    ledger.log.append(tx.ledger, [
      {
        type: report.type,
        actor: actorRef(principal),
        subject: report.subject,
        data,
        ...(elided ? { personal: { data: report.data as JsonObject } } : {}),
      },
    ]),
  );
  return entry!.seq;
}
