import { type Static, Type } from '@sinclair/typebox';
import type { LoadProblem } from '../../policy/problems.js';
import { ProfileProblemSchema } from '../monitoring/profiles.js';

/** Documents of the bundle per kind (ActionPolicy, GatePolicy, MonitorPolicy, System, …). */
export const BundleCountsSchema = Type.Record(Type.String(), Type.Number(), {
  description: 'Documents of the bundle per kind',
});

/** Which Systems are monitored with which profile, and the profiles that failed to load. */
export const MonitoringSummarySchema = Type.Object({
  systems: Type.Array(Type.Object({ system: Type.String(), profile: Type.String(), file: Type.String() })),
  problems: Type.Array(ProfileProblemSchema),
});
export type MonitoringSummary = Static<typeof MonitoringSummarySchema>;

/** A reload that put a new bundle in force. */
export const ReloadedSchema = Type.Object(
  {
    ok: Type.Literal(true),
    bundle: Type.String({ description: 'Digest of the bundle now in force' }),
    counts: BundleCountsSchema,
    monitoring: MonitoringSummarySchema,
  },
  { description: 'The bundle now in force' },
);
export type Reloaded = Static<typeof ReloadedSchema>;

/** A reload either puts a new bundle in force or is rejected, keeping the old one. */
export type ReloadResult = Reloaded | { ok: false; problems: LoadProblem[]; message: string };
