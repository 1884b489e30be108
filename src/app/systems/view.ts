import { type Static, Type } from '@sinclair/typebox';
import { JsonValueSchema, literals, Nullable } from '../../core/json-schema.js';
import { ErrorBudget, OnCall, riskTiers, SystemSpec, systemKinds } from '../../policy/documents.js';
import { TrackRecordSchema } from '../../registry/autonomy.js';
import type { SystemRow } from '../../store/records.js';

/** One change of a System's autonomy: an error-budget demotion or a person's change. */
export const AutonomyChangeSchema = Type.Object({
  at: Type.String(),
  from: Type.Number(),
  to: Type.Number(),
  ceiling: Type.Number({ description: "The System document's level when the change was made" }),
  cause: Type.Union([Type.Literal('budget'), Type.Literal('human')], {
    description: '`budget`: demoted by the error budget; `human`: set by a person, with a reason',
  }),
  by: Type.String({ description: "`arbiter` for budget demotions, else the person's actor id" }),
  reason: Type.String(),
  decisions: Type.Array(Type.String(), {
    description: 'The failed or rolled-back decisions that spent the budget (budget demotions only)',
  }),
  ledgerIndex: Type.Number(),
});
export type AutonomyChange = Static<typeof AutonomyChangeSchema>;

/** What the autonomy service adds to a System's view: the levels, the budget and the track record. */
export const AutonomyViewSchema = Type.Object({
  autonomy: Type.Number({ description: "The effective level: the document's, unless a demotion stands" }),
  autonomyCeiling: Type.Number({
    description: "The System document's level: the most a promotion may restore",
  }),
  errorBudget: Nullable(ErrorBudget),
  trackRecord: TrackRecordSchema,
  autonomyChanges: Type.Array(AutonomyChangeSchema, {
    description: 'The newest autonomy changes first (at most 5)',
  }),
});
export type AutonomyView = Static<typeof AutonomyViewSchema>;

export const SystemViewSchema = Type.Object(
  {
    id: Type.String(),
    kind: literals(systemKinds),
    source: Type.Union([Type.Literal('bundle'), Type.Literal('api')], {
      description: '`bundle`: from the governance repository; `api`: registered over HTTP',
    }),
    status: Type.Union([Type.Literal('active'), Type.Literal('frozen')]),
    statusReason: Nullable(Type.String()),
    statusBy: Nullable(Type.String()),
    statusAt: Nullable(Type.String()),
    description: Type.Optional(Type.String()),
    owner: SystemSpec.properties.owner,
    onCall: OnCall,
    riskTier: literals(riskTiers),
    operatingConditions: Type.Optional(Type.Record(Type.String(), JsonValueSchema)),
    ...AutonomyViewSchema.properties,
    createdAt: Type.String(),
    updatedAt: Type.String(),
  },
  { description: 'A registered AI agent or model with its owner, autonomy and track record' },
);
/** A System as the API shows it. */
export type SystemView = Static<typeof SystemViewSchema>;

/** A System as the API shows it: its row and stored spec, with the autonomy service's view on top. */
export function systemView(row: SystemRow, autonomy: AutonomyView): SystemView {
  // The stored spec is the System document's (app/systems/systems.ts specOf).
  const spec = row.spec as unknown as Pick<
    SystemView,
    'description' | 'owner' | 'onCall' | 'riskTier' | 'operatingConditions'
  >;
  return {
    id: row.id,
    kind: row.kind,
    source: row.source,
    status: row.status,
    statusReason: row.statusReason ?? null,
    statusBy: row.statusBy ?? null,
    statusAt: row.statusAt ?? null,
    ...spec,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
    // The effective autonomy replaces the document's level; the document's is `autonomyCeiling`.
    ...autonomy,
  };
}
