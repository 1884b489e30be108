import { readFileSync } from 'node:fs';
import { type Static, Type } from '@sinclair/typebox';
import { sha256Hex } from '../../core/digest.js';
import { isPlainObject } from '../../core/json.js';
import { binCount, type Column } from '../../monitor/columns.js';
import type { Profile } from '../../monitor/profile.js';
import type { PolicyBundle } from '../../policy/bundle.js';
import { anyGlobMatches } from '../../policy/glob.js';
import type { RecordReads } from '../../store/records.js';

/**
 * The reference profiles of the monitored Systems, read from the files MonitorPolicies name.
 * A profile that is missing or malformed never stops the server: it is reported as a problem and
 * its System is not monitored until a reload fixes it.
 */

/** A System with a profile in force. */
export interface MonitoredSystem {
  system: string;
  profile: Profile;
  /** The profile file (resolved against the policy file). */
  file: string;
  /** SHA-256 hex of the file's bytes: windows name the profile they were counted with by it. */
  sha256: string;
  /** The MonitorPolicies naming the file. */
  policies: string[];
}

/** A reference profile that failed to load: its System is not monitored until a reload fixes it. */
export const ProfileProblemSchema = Type.Object({
  policy: Type.String(),
  file: Type.String(),
  system: Type.Optional(
    Type.String({ description: "The System concerned, when the profile or the policy's match names it" }),
  ),
  message: Type.String(),
});
export type ProfileProblem = Static<typeof ProfileProblemSchema>;

export interface MonitorProfiles {
  systems: ReadonlyMap<string, MonitoredSystem>;
  problems: readonly ProfileProblem[];
}

export const profileFormat = 'arbiter.monitor.profile/v1';

function columnProblem(name: string, column: unknown): string | undefined {
  if (!isPlainObject(column)) return `column ${name} is not an object`;
  const numbers = (value: unknown) => Array.isArray(value) && value.every((x) => typeof x === 'number');
  const strings = (value: unknown) => Array.isArray(value) && value.every((x) => typeof x === 'string');
  if (
    column.kind === 'numeric'
      ? !numbers(column.edges)
      : column.kind !== 'categorical' || !strings(column.categories)
  )
    return `column ${name} has neither numeric edges nor categorical categories`;
  const drift = column.drift;
  if (!isPlainObject(drift) || typeof drift.method !== 'string' || typeof drift.threshold !== 'number')
    return `column ${name} has no drift method and threshold`;
  return undefined;
}

function countsProblem(name: string, column: Column, state: unknown): string | undefined {
  if (!isPlainObject(state) || !Array.isArray(state.counts) || state.counts.length !== binCount(column))
    return `the reference counts of ${name} do not match its ${binCount(column)} bins`;
  return undefined;
}

/** Why a parsed file is not a profile this server can count windows with, or undefined. */
export function profileProblem(value: unknown): string | undefined {
  if (!isPlainObject(value)) return 'is not a JSON object';
  if (value.format !== profileFormat)
    return `has format ${JSON.stringify(value.format ?? null)}, not ${profileFormat} (write it with arbiter monitor profile)`;
  if (typeof value.system !== 'string' || value.system === '') return 'names no system';
  if (!Number.isSafeInteger(value.windowMs) || (value.windowMs as number) < 1_000)
    return 'has no windowMs of at least one second';
  const { schema, features, prediction, reference } = value;
  if (!isPlainObject(schema) || !isPlainObject(schema.features) || typeof schema.prediction !== 'string')
    return 'has no schema with features and a prediction';
  if (!isPlainObject(features) || !isPlainObject(reference) || !isPlainObject(reference.features))
    return 'has no profiled features or reference';
  for (const name of Object.keys(schema.features)) {
    const problem =
      columnProblem(name, features[name]) ??
      countsProblem(name, features[name] as Column, reference.features[name]);
    if (problem) return problem;
  }
  return (
    columnProblem('(prediction)', prediction) ??
    countsProblem('(prediction)', prediction as Column, reference.prediction)
  );
}

/** Literal System names of a policy's match (globs name no System in particular). */
const namedSystems = (patterns: readonly string[] | undefined) =>
  (patterns ?? []).filter((p) => !p.includes('*'));

/**
 * Reads the profile of every MonitorPolicy that names one. A System is monitored when exactly one
 * profile file is named for it and that file loads; every other outcome is a problem.
 */
export function loadMonitorProfiles(
  bundle: PolicyBundle,
  readFile: (path: string) => Buffer = (path) => readFileSync(path),
): MonitorProfiles {
  const problems: ProfileProblem[] = [];
  const found = new Map<string, MonitoredSystem>();
  const troubled = new Set<string>();
  for (const policy of bundle.monitorPolicies) {
    const file = policy.profile;
    if (file === undefined) continue;
    const report = (message: string, systems: readonly string[]) => {
      if (systems.length === 0) problems.push({ policy: policy.name, file, message });
      for (const system of systems) {
        problems.push({ policy: policy.name, file, system, message });
        troubled.add(system);
      }
    };
    let bytes: Buffer;
    let parsed: unknown;
    try {
      bytes = readFile(file);
      parsed = JSON.parse(bytes.toString('utf8'));
    } catch (error) {
      const reason =
        (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'does not exist' : (error as Error).message;
      report(`profile ${file} cannot be read: ${reason}`, namedSystems(policy.match.systems));
      continue;
    }
    const shape = profileProblem(parsed);
    if (shape) {
      report(`profile ${file} ${shape}`, namedSystems(policy.match.systems));
      continue;
    }
    const profile = parsed as Profile;
    if (!anyGlobMatches(policy.match.systems, profile.system)) {
      report(
        `profile ${file} is for System ${profile.system}, which MonitorPolicy ${policy.name} does not match`,
        [profile.system],
      );
      continue;
    }
    const existing = found.get(profile.system);
    if (existing && existing.file !== file) {
      report(
        `MonitorPolicies ${existing.policies.join(', ')} and ${policy.name} name different profiles for ${profile.system} (${existing.file}, ${file}); name one`,
        [profile.system],
      );
      continue;
    }
    if (existing) existing.policies.push(policy.name);
    else
      found.set(profile.system, {
        system: profile.system,
        profile,
        file,
        sha256: sha256Hex(bytes),
        policies: [policy.name],
      });
  }
  for (const system of troubled) found.delete(system);
  return { systems: found, problems };
}

/**
 * Profiles by digest, as windows name them: the ones in force, else earlier ones kept in the store
 * (cached: a digest names the same profile forever).
 */
export class ProfileResolver {
  private readonly stored = new Map<string, Profile>();

  constructor(private readonly inForce: () => MonitorProfiles) {}

  async byDigest(reader: RecordReads, sha256: string): Promise<Profile> {
    for (const monitored of this.inForce().systems.values())
      if (monitored.sha256 === sha256) return monitored.profile;
    let profile = this.stored.get(sha256);
    if (!profile) {
      const row = await reader.monitorProfile(sha256);
      if (!row) throw new Error(`monitoring profile ${sha256} is not in the store`);
      profile = row.profile as unknown as Profile;
      this.stored.set(sha256, profile);
    }
    return profile;
  }
}
