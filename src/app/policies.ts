import { ArbiterError, isArbiterError } from '../core/errors.js';
import type { PolicyBundle } from '../policy/bundle.js';
import { compileBundle } from '../policy/load.js';
import { loadPolicyDirectory } from '../policy/load-dir.js';
import type { LoadProblem } from '../policy/problems.js';
import type { Store } from '../store/store.js';
import type { Ledger } from './ledger.js';
import type { SystemService } from './systems.js';

export type ReloadResult =
  | { ok: true; bundle: string; counts: PolicyBundle['counts'] }
  | { ok: false; problems: LoadProblem[]; message: string };

/** An empty bundle: no policies, so every request gets the default, deny. */
export function emptyBundle(): PolicyBundle {
  return compileBundle([]);
}

/**
 * The policy bundle in force. A reload that fails leaves the old bundle in force; every reload,
 * good or bad, is a ledger entry with the digest (or the problems).
 */
export class PolicyHolder {
  private current: PolicyBundle;

  constructor(
    private readonly dir: string | undefined,
    initial: PolicyBundle,
    private readonly store: Store,
    private readonly ledger: Ledger,
    private readonly systems: SystemService,
  ) {
    this.current = initial;
  }

  get bundle(): PolicyBundle {
    return this.current;
  }

  get directory(): string | undefined {
    return this.dir;
  }

  /** Records the bundle in force at start and registers its Systems. */
  async install(by: string, trigger: string): Promise<void> {
    const bundle = this.current;
    await this.store.write(async (tx) => {
      await this.systems.syncFromBundle(tx, bundle, by);
      await this.ledger.log.append(tx.ledger, [
        {
          type: 'policy.loaded',
          actor: by,
          subject: bundle.digest,
          data: { bundle: bundle.digest, counts: bundle.counts, trigger, dir: this.dir ?? null },
        },
      ]);
    });
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
    await this.store.write(async (tx) => {
      await this.systems.syncFromBundle(tx, bundle, by);
      await this.ledger.log.append(tx.ledger, [
        {
          type: 'policy.reloaded',
          actor: by,
          subject: bundle.digest,
          data: { bundle: bundle.digest, previous: this.current.digest, counts: bundle.counts, trigger },
        },
      ]);
    });
    this.current = bundle;
    return { ok: true, bundle: bundle.digest, counts: bundle.counts };
  }
}
