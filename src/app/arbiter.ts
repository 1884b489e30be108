import { type IdGenerator, randomIds } from '../core/ids.js';
import type { Logger } from '../core/logger.js';
import type { PolicyBundle } from '../policy/bundle.js';
import { openStore, type PostgresTuning, postgresTuningFromEnvironment } from '../store/open.js';
import type { Store } from '../store/store.js';
import { type AdminTokenFile, settleAdminTokenFile } from './access/admin-token-file.js';
import { defaultSessionKeyPath, loadSessionKey, SessionService } from './access/sessions.js';
import { SignInService, type SignInServiceDeps } from './access/sign-in.js';
import { TokenService } from './access/tokens.js';
import { BackgroundLoops } from './background.js';
import { DecisionService } from './decisions/decisions.js';
import { DecisionEvents } from './decisions/wake-ups.js';
import { GateRunService } from './gate-runs/gate-runs.js';
import { IncidentService } from './incidents/incidents.js';
import {
  defaultDeliveryRetentionDays,
  deliveryPruneIntervalMs,
  pruneDeliveries,
} from './integrations/deliveries.js';
import { type GitHubAppOptions, GitHubReviews, githubOutbox } from './integrations/github/reviews.js';
import { GitHubWebhooks } from './integrations/github/webhooks.js';
import { GitLabApprovals, type GitLabOptions, gitlabOutbox } from './integrations/gitlab/approvals.js';
import { GitLabDeployments } from './integrations/gitlab/deployments.js';
import { GitLabWebhooks } from './integrations/gitlab/webhooks.js';
import { SlackInteractions, type SlackOptions } from './integrations/slack/interactions.js';
import { Checkpointer } from './ledger/checkpointer.js';
import { defaultLedgerKeyPath, type Ledger, openLedger } from './ledger/ledger.js';
import { LedgerFacts } from './ledger/ledger-facts.js';
import { StateChecks } from './ledger/state-checks.js';
import { TrustedCheckpoint } from './ledger/trusted-checkpoint.js';
import { WitnessSubmitter, type WitnessSubmitterOptions } from './ledger/witness-submitter.js';
import { MonitorMetrics } from './monitoring/metrics.js';
import { type MonitoringOptions, MonitoringService } from './monitoring/monitoring.js';
import { type NotificationOptions, NotificationService } from './notifications/notifications.js';
import { stderrLogger } from './observability/logger.js';
import { ArbiterMetrics } from './observability/metrics.js';
import { loadPolicyDirectory } from './policies/load-dir.js';
import { emptyBundle, PolicyHolder } from './policies/policies.js';
import { AutonomyService } from './systems/autonomy.js';
import { SystemService } from './systems/systems.js';
import { TraceService } from './traces/traces.js';

export interface ArbiterOptions {
  databaseUrl: string;
  ledgerKeyPath?: string;
  /** The trusted checkpoint file (default: beside the ledger key, `….checkpoint`). */
  trustedCheckpointPath?: string;
  /** Governance directory; without one, every request is denied (the empty bundle's default). */
  policyDir?: string;
  /** Where to write the first admin token when the database has no tokens (mode 0600). */
  adminTokenPath?: string;
  /** The shared `admin.token` of older versions, adopted when it holds this database's token. */
  legacyAdminTokenPath?: string;
  clock?: () => Date;
  ids?: IdGenerator;
  /** How often a checkpoint is signed when the log grew (default 60 s). */
  checkpointIntervalMs?: number;
  /** How often expired approvals are swept (default 1 s). */
  expiryIntervalMs?: number;
  /** PostgreSQL pool size, statement timeout, replica name. */
  postgres?: PostgresTuning;
  /** Notification delivery: backoff, dashboard URL for links, fetch (tests). */
  notifications?: NotificationOptions;
  /** How often the notification outbox is drained (default 500 ms). */
  notificationIntervalMs?: number;
  /** How often closed monitoring windows are evaluated and old events purged (default 10 s). */
  monitorIntervalMs?: number;
  /** Monitoring: grace period before a window closes, event retention. */
  monitoring?: MonitoringOptions;
  /** The GitHub App answering deployment protection rules (docs/integrations.md); off when absent. */
  github?: GitHubAppOptions;
  /** GitLab deployment approvals (docs/integrations.md); off when absent. */
  gitlab?: GitLabOptions;
  /** Slack approval buttons (docs/integrations.md); off when absent. */
  slack?: SlackOptions;
  /** Days provider deliveries are remembered for replay protection (default 40, docs/integrations.md). */
  deliveryRetentionDays?: number;
  /** Where background failures and warnings go: the server passes its own logger (default: stderr, warn level). */
  logger?: Logger;
  /** Single sign-on: the session key file (default beside the ledger key), the provider's HTTP and environment. */
  identity?: { sessionKeyPath?: string } & Pick<SignInServiceDeps, 'fetch' | 'env'>;
  /** How often the newest checkpoint is offered to witnesses that have not cosigned it (default 1 s). */
  witnessIntervalMs?: number;
  /** Witness submission: backoff, fetch (tests). */
  witnesses?: WitnessSubmitterOptions;
}

/** Everything a running Arbiter is made of; the HTTP server and the CLI both use it. */
export interface Arbiter {
  store: Store;
  ledger: Ledger;
  /** The checkpoint kept outside the database, and the check that the database extends it. */
  trustedCheckpoint: TrustedCheckpoint;
  policies: PolicyHolder;
  systems: SystemService;
  tokens: TokenService;
  /** Sign-in session cookies, sealed with the key file beside the ledger key. */
  sessions: SessionService;
  /** Sign-in with the IdentityProvider of the bundle in force (OpenID Connect). */
  signIn: SignInService;
  decisions: DecisionService;
  /** Error budgets, effective autonomy, track records, promotions. */
  autonomy: AutonomyService;
  gateRuns: GateRunService;
  events: DecisionEvents;
  metrics: ArbiterMetrics;
  notifications: NotificationService;
  monitoring: MonitoringService;
  /** Incidents, opened by hand or from failed production outcomes and critical alerts. */
  incidents: IncidentService;
  /** Accountability traces of incidents and decisions, with ledger proofs. */
  traces: TraceService;
  /** Submits checkpoints to the governance repository's witnesses and stores their cosignatures. */
  witnesses: WitnessSubmitter;
  /** The GitHub App's webhook, when `github` options were given. */
  github?: GitHubWebhooks;
  /** GitLab deployment approvals: the blocked deployments poller, and the webhook when a token is set. */
  gitlab?: { deployments: GitLabDeployments; webhooks?: GitLabWebhooks };
  /** Slack's interaction endpoint, when `slack` options were given. */
  slack?: SlackInteractions;
  /** Forgets provider deliveries older than the retention window (hourly in the background); returns how many. */
  pruneDeliveries(): Promise<number>;
  clock: () => Date;
  /** Set when this start created the first admin token. */
  bootstrapAdminToken?: string;
  /** What this start did about the admin token file: wrote a new token, or adopted the old file. */
  adminTokenFile: AdminTokenFile;
  /** Signs a checkpoint if the log grew since the last one. */
  checkpointIfGrown(): Promise<void>;
  /** Stops background work, signs a final checkpoint and closes the store. */
  close(): Promise<void>;
}

/** Opens the store and ledger, loads policies (refusing to start on a bad bundle) and starts background work. */
export async function startArbiter(options: ArbiterOptions): Promise<Arbiter> {
  const clock = options.clock ?? (() => new Date());
  const ids = options.ids ?? randomIds;
  const logger = options.logger ?? stderrLogger();
  // A bad bundle stops the start before anything is opened.
  const bundle: PolicyBundle = options.policyDir ? loadPolicyDirectory(options.policyDir) : emptyBundle();
  const store = await openStore(
    options.databaseUrl,
    { ...postgresTuningFromEnvironment(), ...options.postgres },
    logger,
  );
  try {
    const ledger = await openLedger(store, {
      keyPath: options.ledgerKeyPath ?? defaultLedgerKeyPath(options.databaseUrl),
      clock,
    });
    // Before anything is served: a database whose history was rewritten or rolled back is refused.
    const trustedCheckpoint = await TrustedCheckpoint.open(ledger, {
      ...(options.trustedCheckpointPath ? { path: options.trustedCheckpointPath } : {}),
      logger,
    });
    // Every state-changing step proves the stored facts it relies on against the trusted tree.
    const checks = new StateChecks(new LedgerFacts(ledger, trustedCheckpoint), logger);
    const events = new DecisionEvents();
    store.onDecisionChanged((id) => events.notify(id));
    const metrics = new ArbiterMetrics(store, events);
    // Notifiers come from the bundle in force, which the policy holder (created below) owns.
    let policies: PolicyHolder | undefined;
    const notifications = new NotificationService({
      store,
      ledger,
      notifiers: () => (policies?.bundle ?? bundle).notifiers,
      clock,
      ids,
      registry: metrics.registry,
      options: { ...options.notifications },
    });
    const core = { store, ledger, clock };
    // Decisions asked for by GitHub deliveries queue their review in the same transaction.
    const githubReviews = options.github
      ? new GitHubReviews(
          {
            ...options.github,
            ...(options.notifications?.dashboardUrl && !options.github.dashboardUrl
              ? { dashboardUrl: options.notifications.dashboardUrl }
              : {}),
          },
          ids,
          clock,
        )
      : undefined;
    if (githubReviews) notifications.addSender(githubOutbox, githubReviews);
    const gitlabApprovals = options.gitlab
      ? new GitLabApprovals(
          {
            ...options.gitlab,
            ...(options.notifications?.dashboardUrl && !options.gitlab.dashboardUrl
              ? { dashboardUrl: options.notifications.dashboardUrl }
              : {}),
          },
          ids,
          clock,
        )
      : undefined;
    if (gitlabApprovals) notifications.addSender(gitlabOutbox, gitlabApprovals);
    const githubSink = githubReviews ? githubReviews.sinkAround(notifications) : notifications;
    const decisionSink = gitlabApprovals ? gitlabApprovals.sinkAround(githubSink) : githubSink;
    const systems = new SystemService({ ...core, sink: notifications });
    policies = new PolicyHolder({ dir: options.policyDir, initial: bundle, store, ledger, systems, logger });
    const tokens = new TokenService({ ...core, ids, checks });
    const sessions = new SessionService({
      key: loadSessionKey(options.identity?.sessionKeyPath ?? defaultSessionKeyPath(ledger.keyPath)),
      store,
      clock,
    });
    const signIn = new SignInService({
      policies,
      sessions,
      store,
      ledger,
      clock,
      ...(options.identity?.fetch ? { fetch: options.identity.fetch } : {}),
      ...(options.identity?.env ? { env: options.identity.env } : {}),
    });
    const decisions = new DecisionService({
      ...core,
      policies,
      systems,
      events,
      ids,
      observer: metrics,
      sink: decisionSink,
      checks,
    });
    const autonomy = new AutonomyService({ ...core, sink: notifications });
    decisions.onPolicyActor(autonomy.policyActor);
    decisions.onOutcome(autonomy.afterOutcome);
    const gateRuns = new GateRunService({ ...core, policies, ids, observer: metrics });
    const monitoring = new MonitoringService({
      ...core,
      policies,
      sink: notifications,
      observer: new MonitorMetrics({ registry: metrics.registry, store, policies }),
      logger,
      ...(options.monitoring ? { options: options.monitoring } : {}),
    });
    const incidents = new IncidentService({ ...core, policies, sink: notifications, ids });
    incidents.openAutomatically({ decisions, monitoring });
    const traces = new TraceService({ ...core, policies });
    const github =
      githubReviews && options.github
        ? new GitHubWebhooks({
            store,
            ledger,
            policies,
            decisions,
            reviews: githubReviews,
            webhookSecret: options.github.webhookSecret,
            clock,
            registry: metrics.registry,
            logger,
          })
        : undefined;
    const gitlab = gitlabIntegration(options.gitlab, gitlabApprovals, {
      store,
      ledger,
      policies,
      decisions,
      clock,
      registry: metrics.registry,
      logger,
    });
    const slack = options.slack
      ? new SlackInteractions({
          store,
          decisions,
          options: {
            ...options.slack,
            ...(options.notifications?.dashboardUrl && !options.slack.dashboardUrl
              ? { dashboardUrl: options.notifications.dashboardUrl }
              : {}),
          },
          clock,
          registry: metrics.registry,
          logger,
        })
      : undefined;
    await policies.install('arbiter', 'start');

    const adminTokenFile = options.adminTokenPath
      ? await settleAdminTokenFile({
          store,
          tokens,
          path: options.adminTokenPath,
          ...(options.legacyAdminTokenPath ? { legacyPath: options.legacyAdminTokenPath } : {}),
        })
      : undefined;
    const unattested = await checks.unattestedTokens(await store.listTokens());
    if (unattested.length > 0)
      logger.warn(
        { tokens: unattested },
        `${unattested.length} token${unattested.length === 1 ? ' was' : 's were'} issued before the ledger recorded token hashes and ${unattested.length === 1 ? 'is' : 'are'} refused until an admin attests them: run \`arbiter tokens attest --by NAME\` (docs/ledger.md#state-checks)`,
      );
    const bootstrapAdminToken =
      adminTokenFile && 'token' in adminTokenFile ? adminTokenFile.token : undefined;

    const checkpoints = await Checkpointer.open(ledger, trustedCheckpoint);
    const loops = new BackgroundLoops(logger);
    loops.start({
      name: 'approval expiry',
      everyMs: options.expiryIntervalMs ?? 1_000,
      run: () => decisions.expireDue(),
    });
    loops.start({
      name: 'checkpoint signing',
      everyMs: options.checkpointIntervalMs ?? 60_000,
      run: () => checkpoints.signIfGrown(),
    });
    loops.start({
      name: 'notification delivery',
      everyMs: options.notificationIntervalMs ?? 500,
      run: () => notifications.deliverDue(),
    });
    loops.start({
      name: 'monitoring evaluation',
      everyMs: options.monitorIntervalMs ?? 10_000,
      run: () => monitoring.tick(),
    });
    const witnesses = new WitnessSubmitter({
      ledger,
      witnesses: () => policies!.bundle.witnesses,
      sink: notifications,
      logger,
      clock,
      registry: metrics.registry,
      ...(options.witnesses ? { options: options.witnesses } : {}),
    });
    loops.start({
      name: 'witness submission',
      everyMs: options.witnessIntervalMs ?? 1_000,
      run: async () => {
        if (await store.holdsCheckpointLock()) await witnesses.submitDue();
      },
    });
    if (gitlab && options.gitlab?.pollIntervalMs !== 0)
      loops.start({
        name: 'GitLab blocked deployments',
        everyMs: options.gitlab?.pollIntervalMs ?? 30_000,
        run: async () => {
          await gitlab.deployments.pollAll();
        },
      });
    const checkpointIfGrown = () => checkpoints.signIfGrown();
    const forgetOldDeliveries = () =>
      pruneDeliveries({
        store,
        clock,
        retentionDays: options.deliveryRetentionDays ?? defaultDeliveryRetentionDays,
      });
    loops.start({
      name: 'delivery pruning',
      everyMs: deliveryPruneIntervalMs,
      run: forgetOldDeliveries,
    });

    let closed = false;
    return {
      store,
      ledger,
      trustedCheckpoint,
      policies,
      systems,
      tokens,
      sessions,
      signIn,
      decisions,
      autonomy,
      gateRuns,
      events,
      metrics,
      notifications,
      monitoring,
      incidents,
      traces,
      witnesses,
      ...(github ? { github } : {}),
      ...(gitlab ? { gitlab } : {}),
      ...(slack ? { slack } : {}),
      pruneDeliveries: forgetOldDeliveries,
      clock,
      ...(bootstrapAdminToken ? { bootstrapAdminToken } : {}),
      adminTokenFile,
      checkpointIfGrown,
      async close() {
        if (closed) return;
        closed = true;
        loops.stop();
        events.close();
        await checkpointIfGrown();
        await store.close();
      },
    };
  } catch (error) {
    await store.close();
    throw error;
  }
}

/** GitLab's poller, and its webhook when a secret or signing token is configured. */
function gitlabIntegration(
  options: GitLabOptions | undefined,
  approvals: GitLabApprovals | undefined,
  deps: Omit<ConstructorParameters<typeof GitLabDeployments>[0], 'approvals'>,
): Arbiter['gitlab'] {
  if (!options || !approvals) return undefined;
  const deployments = new GitLabDeployments({ ...deps, approvals });
  const webhooks =
    options.webhookSecret || options.signingToken
      ? new GitLabWebhooks({
          ...deps,
          deployments,
          ...(options.webhookSecret ? { webhookSecret: options.webhookSecret } : {}),
          ...(options.signingToken ? { signingToken: options.signingToken } : {}),
        })
      : undefined;
  return { deployments, ...(webhooks ? { webhooks } : {}) };
}
