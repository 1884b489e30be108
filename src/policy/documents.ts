import { type Static, type TLiteral, type TSchema, type TUnion, Type } from '@sinclair/typebox';

/**
 * The document kinds of a governance repository, as TypeBox schemas. These schemas are the
 * contract of docs/policies.md; the loader validates every document against them strictly
 * (unknown fields are errors) and the TypeScript types below are derived from them.
 */

const strict = { additionalProperties: false } as const;

const Name = Type.String({
  pattern: '^[a-z0-9]([a-z0-9._-]{0,126}[a-z0-9])?$',
  description: 'lowercase letters, digits, ".", "_" and "-", starting and ending with a letter or digit',
});
const Expression = Type.String({ minLength: 1, description: 'a CEL expression' });
const Text = Type.String({ minLength: 1 });
const StringList = Type.Array(Type.String({ minLength: 1 }), { minItems: 1 });

type LiteralUnion<T extends readonly string[]> = TUnion<{ -readonly [K in keyof T]: TLiteral<T[K]> }>;

function literals<const T extends readonly string[]>(values: T): LiteralUnion<T> {
  return Type.Union(values.map((value) => Type.Literal(value))) as unknown as LiteralUnion<T>;
}

export const effects = ['allow', 'require_approval', 'deny'] as const;
export type Effect = (typeof effects)[number];
export const actorKinds = ['agent', 'model', 'human'] as const;
export type ActorKind = (typeof actorKinds)[number];
export const systemKinds = ['agent', 'model'] as const;
export const riskTiers = ['minimal', 'limited', 'high'] as const;
export type RiskTier = (typeof riskTiers)[number];
export const checkSeverities = ['error', 'warning'] as const;
export const alertSeverities = ['info', 'warning', 'critical'] as const;

export const Metadata = Type.Object(
  {
    name: Name,
    description: Type.Optional(Type.String()),
    labels: Type.Optional(Type.Record(Type.String(), Type.String())),
  },
  strict,
);

export const Approval = Type.Object(
  {
    count: Type.Optional(Type.Integer({ minimum: 1, maximum: 20 })),
    from: Type.Optional(Type.Array(Type.String({ minLength: 1 }))),
    ttl: Type.Optional(Type.String({ minLength: 1 })),
    /** Step-up: the approver's sign-in must be multi-factor (amr/acr, docs/identity.md#step-up). */
    assurance: Type.Optional(literals(['mfa'] as const)),
    /** Step-up: the approver signed in at most this long ago (`auth_time`), e.g. 15m. */
    maxAuthAge: Type.Optional(Type.String({ minLength: 1 })),
  },
  strict,
);
export type ApprovalSpec = Static<typeof Approval>;

export const Variable = Type.Object(
  { name: Type.String({ pattern: '^[A-Za-z_][A-Za-z0-9_]*$' }), expression: Expression },
  strict,
);

export const ActionRule = Type.Object(
  {
    name: Name,
    description: Type.Optional(Type.String()),
    when: Expression,
    effect: literals(effects),
    message: Type.Optional(Text),
    messageExpression: Type.Optional(Expression),
    approval: Type.Optional(Approval),
    executionWindow: Type.Optional(
      Type.String({
        minLength: 1,
        description:
          'How long an allowed decision may wait to be started (claimed) before it expires, e.g. 15m',
      }),
    ),
  },
  strict,
);

export const ActionMatch = Type.Object(
  {
    actions: Type.Optional(StringList),
    environments: Type.Optional(StringList),
    actorKinds: Type.Optional(Type.Array(literals(actorKinds), { minItems: 1 })),
    systems: Type.Optional(StringList),
    resourceTypes: Type.Optional(StringList),
  },
  strict,
);

function documentOf<K extends string, S extends TSchema>(kind: K, spec: S) {
  return Type.Object(
    { apiVersion: Type.Literal('arbiter/v1'), kind: Type.Literal(kind), metadata: Metadata, spec },
    strict,
  );
}

export const ActionPolicyDocument = documentOf(
  'ActionPolicy',
  Type.Object(
    {
      mode: Type.Optional(literals(['enforce', 'shadow'] as const)),
      match: Type.Optional(ActionMatch),
      variables: Type.Optional(Type.Array(Variable)),
      rules: Type.Array(ActionRule, { minItems: 1 }),
    },
    strict,
  ),
);

export const GateCheck = Type.Object(
  {
    name: Name,
    description: Type.Optional(Type.String()),
    assert: Expression,
    severity: Type.Optional(literals(checkSeverities)),
    message: Type.Optional(Text),
    messageExpression: Type.Optional(Expression),
  },
  strict,
);

export const findingSeverities = ['info', 'low', 'medium', 'high', 'critical'] as const;
const CheckSeverity = Type.Optional(literals(checkSeverities));

/** A signer a model signature may come from: a keyless identity with its OIDC issuer, or a public key. */
export const Signer = Type.Union([
  Type.Object({ identity: Text, issuer: Type.String({ pattern: '^https?://' }) }, strict),
  Type.Object({ publicKeyFile: Text }, strict),
]);

/** Built-in supply-chain checks of a gate; each becomes a named check result that waivers can target. */
export const SupplyChain = Type.Object(
  {
    modelScan: Type.Optional(
      Type.Object({ failOn: Type.Optional(literals(findingSeverities)), severity: CheckSeverity }, strict),
    ),
    licenses: Type.Optional(
      Type.Object(
        {
          allow: Type.Optional(Type.Array(Text)),
          deny: Type.Optional(Type.Array(Text)),
          unknown: Type.Optional(literals(['error', 'warning', 'ignore'] as const)),
          includeOptional: Type.Optional(Type.Boolean()),
          severity: CheckSeverity,
        },
        strict,
      ),
    ),
    vulnerabilities: Type.Optional(
      Type.Object(
        {
          failOn: Type.Optional(literals(findingSeverities)),
          maxDatabaseAge: Type.Optional(Text),
          requireDatabase: Type.Optional(Type.Boolean()),
          severity: CheckSeverity,
        },
        strict,
      ),
    ),
    provenance: Type.Optional(
      Type.Object(
        {
          requireDigests: Type.Optional(Type.Boolean()),
          requireSignature: Type.Optional(Type.Boolean()),
          signers: Type.Optional(Type.Array(Signer, { minItems: 1 })),
          trustedRoot: Type.Optional(Text),
          severity: CheckSeverity,
        },
        strict,
      ),
    ),
  },
  strict,
);
export type SupplyChainSpec = Static<typeof SupplyChain>;

export const GatePolicyDocument = documentOf(
  'GatePolicy',
  Type.Object(
    {
      match: Type.Optional(Type.Object({ systems: Type.Optional(StringList) }, strict)),
      variables: Type.Optional(Type.Array(Variable)),
      checks: Type.Optional(Type.Array(GateCheck, { minItems: 1 })),
      supplyChain: Type.Optional(SupplyChain),
    },
    strict,
  ),
);

/** A time-boxed, owned exception to a gate check. */
export const WaiverDocument = documentOf(
  'Waiver',
  Type.Object(
    {
      owner: Text,
      reason: Text,
      approvedBy: Type.Optional(Text),
      expires: Type.String({ minLength: 1, description: 'a date (2026-12-31) or an RFC 3339 timestamp' }),
      scope: Type.Object(
        {
          check: Name,
          policy: Type.Optional(Name),
          systems: StringList,
          /** Only these findings (vulnerability ids or aliases, package names, model files) are waived. */
          findings: Type.Optional(StringList),
          /** Only findings reported by these tools (globs: `trivy`, `semgrep*`, `osv`). */
          tools: Type.Optional(StringList),
          /** Only findings of these rules (globs: SARIF rule ids, vulnerability ids, evaluation categories). */
          rules: Type.Optional(StringList),
          /** Only findings in these packages (globs over names or purls). */
          packages: Type.Optional(StringList),
        },
        strict,
      ),
    },
    strict,
  ),
);

export const MonitorAlert = Type.Object(
  {
    name: Name,
    description: Type.Optional(Type.String()),
    when: Expression,
    severity: literals(alertSeverities),
    for: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
    message: Type.Optional(Text),
    messageExpression: Type.Optional(Expression),
  },
  strict,
);

export const MonitorPolicyDocument = documentOf(
  'MonitorPolicy',
  Type.Object(
    {
      match: Type.Optional(Type.Object({ systems: Type.Optional(StringList) }, strict)),
      /** The reference profile (`arbiter monitor profile` output), relative to this file. */
      profile: Type.Optional(Text),
      variables: Type.Optional(Type.Array(Variable)),
      alerts: Type.Array(MonitorAlert, { minItems: 1 }),
    },
    strict,
  ),
);

export const OnCall = Type.Object(
  {
    team: Type.Optional(Text),
    person: Type.Optional(Text),
    rotation: Type.Optional(Text),
    pagerdutyRoutingKey: Type.Optional(Text),
  },
  { ...strict, minProperties: 1 },
);

/**
 * How many failed or rolled-back actions in `environments` a System may have within `window`
 * before its autonomy is demoted one level (docs/policies.md#error-budget).
 */
export const ErrorBudget = Type.Object(
  {
    maxFailures: Type.Integer({ minimum: 0, maximum: 1000 }),
    window: Type.String({ minLength: 1, description: 'a duration such as 7d' }),
    environments: Type.Optional(StringList),
  },
  strict,
);
export type ErrorBudgetSpec = Static<typeof ErrorBudget>;

/**
 * Where a System deploys from on GitHub: a deployment protection rule raised in one of these
 * repositories of this App installation is a request by the System (docs/integrations.md).
 */
export const GitHubDeploySource = Type.Object(
  {
    installation: Type.Integer({ minimum: 1, description: 'the GitHub App installation id' }),
    repositories: Type.Array(Type.String({ pattern: '^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$' }), {
      minItems: 1,
      description: 'owner/name of each repository',
    }),
    workflows: Type.Optional(
      Type.Array(Type.String({ pattern: '^(?!.*\\.\\.)[A-Za-z0-9_.-][A-Za-z0-9_./-]{0,254}$' }), {
        minItems: 1,
        description:
          'workflow files (e.g. .github/workflows/deploy.yml): only runs of these speak for the System; a System naming the workflow wins over one naming only the repository',
      }),
    ),
  },
  strict,
);
export type GitHubDeploySource = Static<typeof GitHubDeploySource>;

/** A GitLab project: `group/subgroup/name` (path_with_namespace, no `.` or `..` segment) or its numeric id. */
export const gitlabProjectPattern =
  /^(?:[1-9][0-9]{0,18}|(?:(?!\.{1,2}\/)[A-Za-z0-9_.-]+\/)+(?!\.{1,2}$)[A-Za-z0-9_.-]+)$/;

/**
 * Where a System deploys from on GitLab: a blocked deployment of one of these projects (to one of
 * these environments, when listed) is a request by the System (docs/integrations.md).
 */
export const GitLabDeploySource = Type.Object(
  {
    projects: Type.Array(Type.String({ pattern: gitlabProjectPattern.source }), {
      minItems: 1,
      description: 'path_with_namespace (group/name) or numeric id of each project',
    }),
    environments: Type.Optional(StringList),
  },
  strict,
);

export const SystemSpec = Type.Object(
  {
    kind: literals(systemKinds),
    description: Type.Optional(Type.String()),
    owner: Type.Object({ team: Text, person: Text }, strict),
    onCall: OnCall,
    autonomy: Type.Integer({ minimum: 0, maximum: 3 }),
    riskTier: literals(riskTiers),
    status: Type.Optional(literals(['active', 'frozen'] as const)),
    operatingConditions: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    errorBudget: Type.Optional(ErrorBudget),
    github: Type.Optional(GitHubDeploySource),
    gitlab: Type.Optional(GitLabDeploySource),
  },
  strict,
);
export type SystemSpec = Static<typeof SystemSpec>;

export const SystemDocument = documentOf('System', SystemSpec);

export const BundleDocument = documentOf(
  'Bundle',
  Type.Object(
    {
      defaults: Type.Optional(
        Type.Object(
          {
            effect: Type.Optional(literals(effects)),
            approval: Type.Optional(Approval),
            executionWindow: Type.Optional(Type.String({ minLength: 1 })),
          },
          strict,
        ),
      ),
      /** When Arbiter opens incidents by itself (docs/incidents.md); without `openOn`, the defaults. */
      incidents: Type.Optional(
        Type.Object(
          {
            openOn: Type.Optional(
              Type.Object(
                {
                  outcomes: Type.Optional(Type.Array(literals(['failed', 'rolled_back'] as const))),
                  environments: Type.Optional(Type.Array(Type.String({ minLength: 1 }))),
                  alertSeverities: Type.Optional(Type.Array(literals(alertSeverities))),
                },
                strict,
              ),
            ),
          },
          strict,
        ),
      ),
    },
    strict,
  ),
);

const handoffDays = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'] as const;

/** Who is on call when: members take turns at each handoff; overrides win for their time span. */
export const OnCallRotationDocument = documentOf(
  'OnCallRotation',
  Type.Object(
    {
      timezone: Type.Optional(Text),
      handoff: Type.Optional(
        Type.Object(
          {
            every: Type.Optional(literals(['day', 'week'] as const)),
            day: Type.Optional(literals(handoffDays)),
            at: Type.Optional(
              Type.String({ pattern: '^([01][0-9]|2[0-3]):[0-5][0-9]$', description: 'local time, HH:MM' }),
            ),
          },
          strict,
        ),
      ),
      start: Type.Optional(Type.String({ minLength: 1, description: 'a local date, YYYY-MM-DD' })),
      members: Type.Array(Text, { minItems: 1 }),
      overrides: Type.Optional(
        Type.Array(
          Type.Object({ from: Text, to: Text, person: Text, reason: Type.Optional(Type.String()) }, strict),
        ),
      ),
    },
    strict,
  ),
);
export type OnCallRotationDocument = Static<typeof OnCallRotationDocument>;

export const PolicyTestCase = Type.Object(
  {
    name: Text,
    now: Type.Optional(Type.String()),
    actor: Type.Optional(
      Type.Union([Type.String({ minLength: 1 }), Type.Record(Type.String(), Type.Unknown())]),
    ),
    /** The actor's recent activity (`actor.recent`), as the server would supply it. */
    recent: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    /** The System's track record (`actor.trackRecord`), as the server would supply it. */
    trackRecord: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    input: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    release: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    baseline: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    expect: Type.Object(
      {
        effect: Type.Optional(literals(effects)),
        rules: Type.Optional(Type.Array(Type.String())),
        notRules: Type.Optional(Type.Array(Type.String())),
        approvals: Type.Optional(Type.Array(Approval)),
        passed: Type.Optional(Type.Boolean()),
        failedChecks: Type.Optional(Type.Array(Type.String())),
      },
      { ...strict, minProperties: 1 },
    ),
  },
  strict,
);
export type PolicyTestCase = Static<typeof PolicyTestCase>;

export const PolicyTestDocument = documentOf(
  'PolicyTest',
  Type.Object(
    { description: Type.Optional(Type.String()), cases: Type.Array(PolicyTestCase, { minItems: 1 }) },
    strict,
  ),
);

export const notifierTypes = ['webhook', 'slack', 'pagerduty'] as const;
export const notificationEvents = [
  'decision.pending',
  'decision.allowed',
  'decision.denied',
  'approval.recorded',
  'decision.outcome',
  'system.frozen',
  'system.unfrozen',
  'system.autonomy_changed',
  'alert.firing',
  'alert.resolved',
  'incident.opened',
  'incident.resolved',
  'ledger.fork',
] as const;
export type NotificationEventType = (typeof notificationEvents)[number];
export const notificationSeverities = ['info', 'warning', 'error', 'critical'] as const;
export type NotificationSeverity = (typeof notificationSeverities)[number];

const EnvName = Type.String({ pattern: '^[A-Z_][A-Z0-9_]*$', description: 'an environment variable name' });

/** Where and how events are delivered. Secrets are never in git: they are named environment variables. */
export const NotifierDocument = documentOf(
  'Notifier',
  Type.Object(
    {
      type: literals(notifierTypes),
      url: Type.Optional(Type.String({ pattern: '^https?://', description: 'an http(s) URL' })),
      urlEnv: Type.Optional(EnvName),
      secretEnv: Type.Optional(EnvName),
      routingKeys: Type.Optional(
        Type.Record(Type.String(), EnvName, {
          description: 'owner team → environment variable holding its PagerDuty routing key',
        }),
      ),
      defaultRoutingKeyEnv: Type.Optional(EnvName),
      events: Type.Optional(Type.Array(literals(notificationEvents), { minItems: 1 })),
      teams: Type.Optional(StringList),
      minSeverity: Type.Optional(literals(notificationSeverities)),
      maxAttempts: Type.Optional(Type.Integer({ minimum: 1, maximum: 50 })),
      timeoutMs: Type.Optional(Type.Integer({ minimum: 100, maximum: 60_000 })),
      dashboardUrl: Type.Optional(Type.String({ pattern: '^https?://' })),
      interactive: Type.Optional(
        Type.Boolean({
          description:
            'slack only: pending decisions carry Approve / Reject buttons (needs the server started with the Slack signing secret)',
        }),
      ),
    },
    strict,
  ),
);
export type NotifierDocument = Static<typeof NotifierDocument>;

export const arbiterRoles = ['approver', 'auditor', 'admin'] as const;

/**
 * The OpenID Provider people sign in with (docs/identity.md). Secrets are never in git: the client
 * secret is named by an environment variable.
 */
export const IdentityProviderDocument = documentOf(
  'IdentityProvider',
  Type.Object(
    {
      /** Shown on the sign-in button: "Sign in with <displayName>". */
      displayName: Type.Optional(Text),
      issuer: Type.String({ pattern: '^https?://', description: 'the issuer URL, as discovery reports it' }),
      clientId: Text,
      clientSecretEnv: Type.Optional(EnvName),
      redirectUrl: Type.String({
        pattern: '^https?://',
        description: "this server's /auth/callback URL as registered with the provider",
      }),
      groupsClaim: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
      /** IdP groups to Arbiter groups and a role; a person matching no entry cannot sign in. */
      groupMapping: Type.Array(
        Type.Object(
          {
            idpGroup: Text,
            groups: Type.Optional(Type.Array(Text)),
            role: Type.Optional(literals(arbiterRoles)),
          },
          strict,
        ),
        { minItems: 1 },
      ),
      allowedEmailDomains: Type.Optional(StringList),
      /** Extra scopes beyond `openid email profile` (e.g. `groups` for Dex and Keycloak). */
      scopes: Type.Optional(StringList),
      /** How long a dashboard session lasts (default 8h). */
      sessionTtl: Type.Optional(Text),
      /** Step-up: `acr_values` to ask for, and `acr` values that count as multi-factor. */
      mfaAcrValues: Type.Optional(StringList),
    },
    strict,
  ),
);

/**
 * A transparency-log witness (C2SP tlog-witness) the server submits every checkpoint to: where it
 * listens and the cosignature/v1 verifier key its cosignatures must verify with.
 */
export const WitnessDocument = documentOf(
  'Witness',
  Type.Object(
    {
      url: Type.String({ pattern: '^https?://', maxLength: 2048, description: 'the submission prefix' }),
      verifierKey: Type.String({
        minLength: 1,
        maxLength: 512,
        description: 'name+keyID+base64(0x04 ‖ Ed25519 public key)',
      }),
      timeoutMs: Type.Optional(Type.Integer({ minimum: 100, maximum: 60_000 })),
    },
    strict,
  ),
);
export type IdentityProviderDocument = Static<typeof IdentityProviderDocument>;
export type WitnessDocument = Static<typeof WitnessDocument>;

/** Kinds a policy bundle holds, with their schemas. */
export const bundleKinds = {
  ActionPolicy: ActionPolicyDocument,
  GatePolicy: GatePolicyDocument,
  MonitorPolicy: MonitorPolicyDocument,
  System: SystemDocument,
  Bundle: BundleDocument,
  Notifier: NotifierDocument,
  Waiver: WaiverDocument,
  OnCallRotation: OnCallRotationDocument,
  IdentityProvider: IdentityProviderDocument,
  Witness: WitnessDocument,
} as const;
export type BundleKind = keyof typeof bundleKinds;

/** Kinds that live in `*.test.yaml` files beside the bundle. */
export const testKinds = { PolicyTest: PolicyTestDocument } as const;

export type ActionPolicyDocument = Static<typeof ActionPolicyDocument>;
export type GatePolicyDocument = Static<typeof GatePolicyDocument>;
export type MonitorPolicyDocument = Static<typeof MonitorPolicyDocument>;
export type SystemDocument = Static<typeof SystemDocument>;
export type BundleDocument = Static<typeof BundleDocument>;
export type WaiverDocument = Static<typeof WaiverDocument>;
export type PolicyTestDocument = Static<typeof PolicyTestDocument>;
export type ActionRuleSpec = Static<typeof ActionRule>;
export type GateCheckSpec = Static<typeof GateCheck>;
export type MonitorAlertSpec = Static<typeof MonitorAlert>;
