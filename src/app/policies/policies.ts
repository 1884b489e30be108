import { ArbiterError, isArbiterError } from '../../core/errors.js';
import type { JsonObject } from '../../core/json.js';
import type { Logger } from '../../core/logger.js';
import type { PolicyBundle } from '../../policy/bundle.js';
import { compileBundle } from '../../policy/load.js';
import type { LoadProblem } from '../../policy/problems.js';
import type { Store, StoreTransaction } from '../../store/store.js';
import type { Ledger } from '../ledger/ledger.js';
import { loadMonitorProfiles, type MonitorProfiles } from '../monitoring/profiles.js';
import type { SystemService } from '../systems/systems.js';
import { loadPolicyDirectory } from './load-dir.js';
import type { MonitoringSummary, ReloadResult } from './reload-result.js';

export type { MonitoringSummary, ReloadResult } from './reload-result.js';

function monitoringSummary(profiles: MonitorProfiles): MonitoringSummary {
  return {
    systems: [...profiles.systems.values()].map(({ system, sha256, file }) => ({
      system,
      profile: sha256,
      file,
    })),
    problems: [...profiles.problems],
  };
}

/** An empty bundle: no policies, so every request gets the default, deny. */
export function emptyBundle(): PolicyBundle {
  return compileBundle([]);
}

export interface PolicyHolderDeps {
  dir: string | undefined;
  initial: PolicyBundle;
  store: Store;
  ledger: Ledger;
  systems: SystemService;
  /** Where bundle problems that do not stop the server are reported. */
  logger: Logger;
}

/**
 * The policy bundle in force. A reload that fails leaves the old bundle in force; every reload,
 * good or bad, is a ledger entry with the digest (or the problems).
 */
export class PolicyHolder {
  private current: PolicyBundle;
  private profiles: MonitorProfiles;

  private readonly dir: string | undefined;
  private readonly store: Store;
  private readonly ledger: Ledger;
  private readonly systems: SystemService;
  private readonly logger: Logger;

  constructor({ dir, initial, store, ledger, systems, logger }: PolicyHolderDeps) {
    this.logger = logger;
    this.dir = dir;
    this.store = store;
    this.ledger = ledger;
    this.systems = systems;
    this.current = initial;
    this.profiles = loadMonitorProfiles(initial);
  }

  get bundle(): PolicyBundle {
    return this.current;
  }

  /** The monitoring profiles of the bundle in force; they change with it, together. */
  get monitorProfiles(): MonitorProfiles {
    return this.profiles;
  }

  /**
   * Keeps the profiles by digest (windows name theirs) and says which are in force; problems go to
   * the log as warnings, since a profile that fails to load does not stop the server.
   */
  private async recordProfiles(tx: StoreTransaction, profiles: MonitorProfiles): Promise<JsonObject> {
    for (const monitored of profiles.systems.values())
      await tx.putMonitorProfile({
        sha256: monitored.sha256,
        systemId: monitored.system,
        profile: monitored.profile as unknown as JsonObject,
        createdAt: monitored.profile.createdAt,
      });
    return {
      profiles: Object.fromEntries(
        [...profiles.systems.values()].map(({ system, sha256 }) => [system, sha256]),
      ),
      profileProblems: profiles.problems.length,
    };
  }

  private warn(profiles: MonitorProfiles): void {
    for (const problem of profiles.problems)
      this.logger.warn(
        { policy: problem.policy, system: problem.system },
        `monitoring profile problem (MonitorPolicy ${problem.policy}): ${problem.message}${problem.system ? `; ${problem.system} is not monitored` : ''}`,
      );
  }

  get directory(): string | undefined {
    return this.dir;
  }

  /** Records the bundle in force at start and registers its Systems. */
  async install(by: string, trigger: string): Promise<void> {
    const bundle = this.current;
    const profiles = this.profiles;
    await this.store.write(async (tx) => {
      await this.systems.syncFromBundle(tx, bundle, by);
      const monitoring = await this.recordProfiles(tx, profiles);
      await this.ledger.log.append(tx.ledger, [
        {
          type: 'policy.loaded',
          actor: by,
          subject: bundle.digest,
          data: {
            bundle: bundle.digest,
            counts: bundle.counts,
            trigger,
            dir: this.dir ?? null,
            ...monitoring,
          },
        },
      ]);
    });
    this.warn(profiles);
  }

  /** Loads the directory again; on success the new bundle is in force, on failure nothing changes. */
  async reload(by: string, trigger: 'api' | 'signal'): Promise<ReloadResult> {
    if (!this.dir) {
      throw new ArbiterError(
        'ARB_ERR_POLICY_DIR_NOT_FOUND',
        'the server was started without a policy directory; nothing to reload',
      );
    }
    let bundle: PolicyBundle;
    try {
      bundle = loadPolicyDirectory(this.dir);
    } catch (error) {
      if (!isArbiterError(error)) throw error;
      const problems = (error.details as { problems?: LoadProblem[] } | undefined)?.problems ?? [];
      await this.store.write((tx) =>
        this.ledger.log.append(tx.ledger, [
          {
            type: 'policy.reload_failed',
            actor: by,
            subject: this.current.digest,
            data: {
              trigger,
              kept: this.current.digest,
              problems: problems.length,
              error: error.code,
              first: error.message.split('\n')[0] ?? '',
            },
          },
        ]),
      );
      return { ok: false, problems, message: error.message };
    }
    const profiles = loadMonitorProfiles(bundle);
    await this.store.write(async (tx) => {
      await this.systems.syncFromBundle(tx, bundle, by);
      const monitoring = await this.recordProfiles(tx, profiles);
      await this.ledger.log.append(tx.ledger, [
        {
          type: 'policy.reloaded',
          actor: by,
          subject: bundle.digest,
          data: {
            bundle: bundle.digest,
            previous: this.current.digest,
            counts: bundle.counts,
            trigger,
            ...monitoring,
          },
        },
      ]);
    });
    this.current = bundle;
    this.profiles = profiles;
    this.warn(profiles);
    return {
      ok: true,
      bundle: bundle.digest,
      counts: bundle.counts,
      monitoring: monitoringSummary(profiles),
    };
  }
}
