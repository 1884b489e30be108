import { type Static, Type } from '@sinclair/typebox';
import { literals } from '../../core/json-schema.js';
import type { Profile } from '../../monitor/profile.js';
import { alertSeverities } from '../../policy/documents.js';
import { type MonitoredSystem, ProfileProblemSchema } from './profiles.js';

const ColumnSummarySchema = Type.Object({
  kind: Type.Union([Type.Literal('numeric'), Type.Literal('categorical')]),
  drift: Type.String({ description: 'The drift method' }),
  threshold: Type.Number(),
});

/** What `GET /v1/monitor` shows of a profile: its identity, window and columns, not its counts. */
export const ProfileSummarySchema = Type.Object({
  sha256: Type.String({ description: "SHA-256 hex of the profile file's bytes" }),
  file: Type.String(),
  policies: Type.Array(Type.String(), { description: 'The MonitorPolicies naming the file' }),
  createdAt: Type.String(),
  source: Type.Object({ name: Type.String(), sha256: Type.String(), rows: Type.Number() }),
  task: Type.String(),
  window: Type.String(),
  windowMs: Type.Number(),
  features: Type.Record(Type.String(), ColumnSummarySchema),
  prediction: ColumnSummarySchema,
  sensitive: Type.Array(Type.String()),
  intersections: Type.Array(Type.String()),
});
export type ProfileSummary = Static<typeof ProfileSummarySchema>;

export const MonitoredSystemViewSchema = Type.Object({
  system: Type.String(),
  profile: ProfileSummarySchema,
  alerts: Type.Array(
    Type.Object({
      policy: Type.String(),
      alert: Type.String(),
      severity: literals(alertSeverities),
      for: Type.Number(),
      when: Type.String({ description: 'The CEL condition' }),
    }),
  ),
  firing: Type.Number({ description: 'Alerts of the System firing now' }),
});
export type MonitoredSystemView = Static<typeof MonitoredSystemViewSchema>;

/** The monitored Systems and the profiles that failed to load. */
export const MonitoringOverviewSchema = Type.Object({
  systems: Type.Array(MonitoredSystemViewSchema),
  problems: Type.Array(ProfileProblemSchema),
});
export type MonitoringOverview = Static<typeof MonitoringOverviewSchema>;

/** The summary of a monitored System's profile. */
export function profileSummary(monitored: MonitoredSystem): ProfileSummary {
  const { profile } = monitored;
  const column = (c: Profile['prediction']) => ({
    kind: c.kind,
    drift: c.drift.method,
    threshold: c.drift.threshold,
  });
  return {
    sha256: monitored.sha256,
    file: monitored.file,
    policies: monitored.policies,
    createdAt: profile.createdAt,
    source: { name: profile.source.name, sha256: profile.source.sha256, rows: profile.source.rows },
    task: profile.schema.task ?? 'classification',
    window: profile.window,
    windowMs: profile.windowMs,
    features: Object.fromEntries(Object.entries(profile.features).map(([name, c]) => [name, column(c)])),
    prediction: column(profile.prediction),
    sensitive: Object.keys(profile.schema.sensitive ?? {}),
    intersections: (profile.schema.intersections ?? []).map((combination) => combination.join(' & ')),
  };
}
