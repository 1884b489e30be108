import { dirname, join } from 'node:path/posix';
import { canonicalJson } from '../core/canonical-json.js';
import { sha256Hex } from '../core/digest.js';
import { parseDuration } from '../core/duration.js';
import type { JsonValue } from '../core/json.js';
import { licenseListProblems } from '../core/license-list.js';
import { maxSessionTtlMs } from '../identity/session-lifetime.js';
import { readCosignatureVerifierKey } from '../ledger/cosignature.js';
import type {
  ApprovalRequirement,
  CompiledActionPolicy,
  CompiledActionRule,
  CompiledGatePolicy,
  CompiledMonitorPolicy,
  CompiledSupplyChain,
  CompiledVariable,
  ExecutionWindow,
  IdentityProviderConfig,
  NotifierConfig,
  PolicyBundle,
  SourceRef,
  SystemRecord,
  WaiverRecord,
  WitnessConfig,
} from './bundle.js';
import {
  defaultApprovalTtl,
  defaultBudgetEnvironments,
  defaultExecutionWindow,
  defaultSessionTtl,
  supplyCheckNames,
} from './bundle.js';
import {
  type CompiledExpression,
  compileExpression,
  type ExpectedType,
  type ExpressionScope,
  isCompileFailure,
} from './cel.js';
import {
  type ActionPolicyDocument,
  type ApprovalSpec,
  type BundleDocument,
  type BundleKind,
  bundleKinds,
  type ErrorBudgetSpec,
  type GatePolicyDocument,
  type IdentityProviderDocument,
  type MonitorPolicyDocument,
  type NotificationEventType,
  type NotifierDocument,
  notificationEvents,
  type OnCallRotationDocument,
  type SupplyChainSpec,
  type SystemDocument,
  type WaiverDocument,
  type WitnessDocument,
} from './documents.js';
import { type FactSet, factSet, internFactSet } from './facts.js';
import { FieldChains } from './field-chains.js';
import { defaultYamlLimits, type YamlLimits } from './limits.js';
import {
  compileIncidentSettings,
  compileOnCallRotation,
  defaultIncidentSettings,
  type IncidentSettings,
  type OnCallRotationRecord,
} from './on-call.js';
import { bundleLoadError, type LoadProblem } from './problems.js';
import { type ValidDocument, validateDocument } from './schema-problems.js';
import { parseYamlFile, type SourceDocument, type SourceFile } from './yaml-source.js';

type Path = (string | number)[];

/** How a bundle is loaded; every field is optional and defaults to limits.ts. */
export interface PolicyLoadOptions {
  /** Overrides of the YAML limits, e.g. `{maxFileBytes: 4_194_304}` for a very large catalogue. */
  yaml?: Partial<YamlLimits>;
}

/**
 * Compiles governance documents into a frozen bundle. Every problem in every file is collected;
 * if there is any, the whole bundle is rejected with an ARB_ERR_POLICY_BUNDLE_INVALID error
 * listing them as `file:line:col: message`, so a bundle is never half-applied.
 */
export function compileBundle(files: readonly SourceFile[], options: PolicyLoadOptions = {}): PolicyBundle {
  const problems: LoadProblem[] = [];
  const documents: ValidDocument<BundleKind>[] = [];
  const yamlLimits: YamlLimits = { ...defaultYamlLimits, ...options.yaml };
  for (const file of files) {
    const parsed = parseYamlFile(file, yamlLimits);
    problems.push(...parsed.problems);
    for (const source of parsed.documents) {
      const result = validateDocument(source, bundleKinds);
      problems.push(...result.problems);
      if (result.document) documents.push(result.document);
    }
  }
  problems.push(...duplicateNames(documents));

  const compiler = new DocumentCompiler(problems);
  const actionPolicies: CompiledActionPolicy[] = [];
  const gatePolicies: CompiledGatePolicy[] = [];
  const monitorPolicies: CompiledMonitorPolicy[] = [];
  const systems: SystemRecord[] = [];
  const notifiers: NotifierConfig[] = [];
  const waivers: WaiverRecord[] = [];
  const rotations: OnCallRotationRecord[] = [];
  const identityProviders: IdentityProviderConfig[] = [];
  const witnesses: WitnessConfig[] = [];
  let incidentSettings: IncidentSettings = defaultIncidentSettings;
  let defaultsDocument: BundleDocument | undefined;
  for (const document of documents) {
    compiler.use(document.source);
    switch (document.kind) {
      case 'ActionPolicy':
        actionPolicies.push(compiler.actionPolicy(document.value as ActionPolicyDocument));
        break;
      case 'GatePolicy':
        gatePolicies.push(compiler.gatePolicy(document.value as GatePolicyDocument));
        break;
      case 'MonitorPolicy':
        monitorPolicies.push(compiler.monitorPolicy(document.value as MonitorPolicyDocument));
        break;
      case 'System':
        systems.push(compiler.system(document.value as SystemDocument));
        break;
      case 'Notifier':
        notifiers.push(compiler.notifier(document.value as NotifierDocument));
        break;
      case 'Waiver':
        waivers.push(compiler.waiver(document.value as WaiverDocument));
        break;
      case 'OnCallRotation':
        rotations.push(compiler.onCallRotation(document.value as OnCallRotationDocument));
        break;
      case 'IdentityProvider':
        identityProviders.push(compiler.identityProvider(document.value as IdentityProviderDocument));
        if (identityProviders.length > 1)
          compiler.invalid(
            ['metadata', 'name'],
            `a second IdentityProvider ("${identityProviders[1]!.name}"): people sign in with one provider, "${identityProviders[0]!.name}"`,
          );
        break;
      case 'Witness':
        witnesses.push(compiler.witness(document.value as WitnessDocument));
        break;
      case 'Bundle':
        defaultsDocument = document.value as BundleDocument;
        compiler.approval(defaultsDocument.spec.defaults?.approval, ['spec', 'defaults', 'approval']);
        compiler.executionWindow(defaultsDocument.spec.defaults?.executionWindow, [
          'spec',
          'defaults',
          'executionWindow',
        ]);
        incidentSettings = compiler.incidentSettings(defaultsDocument.spec.incidents);
        break;
    }
  }

  let digest = '';
  try {
    digest = bundleDigest(documents);
  } catch (error) {
    problems.push({
      file: files[0]?.path ?? '(bundle)',
      line: 1,
      col: 1,
      code: 'ARB_ERR_POLICY_WRONG_TYPE',
      message: `bundle cannot be canonicalised: ${error instanceof Error ? error.message : String(error)}`,
    });
  }
  problems.push(...unknownWaiverChecks(waivers, gatePolicies));
  if (problems.length > 0) throw bundleLoadError(problems);

  compiler.use(undefined);
  const defaults = {
    effect: defaultsDocument?.spec.defaults?.effect ?? 'deny',
    approval: compiler.approval(defaultsDocument?.spec.defaults?.approval, []) ?? defaultApproval(),
    executionWindow:
      compiler.executionWindow(defaultsDocument?.spec.defaults?.executionWindow, []) ??
      executionWindowOf(defaultExecutionWindow),
  } as const;
  const byId = new Map(systems.map((system) => [system.id, system]));
  const counts = {
    ActionPolicy: 0,
    GatePolicy: 0,
    MonitorPolicy: 0,
    System: 0,
    Bundle: 0,
    Notifier: 0,
    Waiver: 0,
    OnCallRotation: 0,
    IdentityProvider: 0,
    Witness: 0,
  };
  for (const document of documents) counts[document.kind]++;
  const readsRecentActivity = actionPolicies.some((policy) => policy.readsRecentActivity);
  const readsTrackRecord = actionPolicies.some((policy) => policy.readsTrackRecord);
  const bundle: PolicyBundle = {
    digest,
    readsRecentActivity,
    readsTrackRecord,
    defaults,
    actionPolicies: sortByName(actionPolicies),
    gatePolicies: sortByName(gatePolicies),
    monitorPolicies: sortByName(monitorPolicies),
    systems: sortByName(systems).map((system) => ({ ...system })),
    system: (id) => byId.get(id),
    counts,
    notifiers: sortByName(notifiers),
    waivers: sortByName(waivers),
    rotations: sortByName(rotations),
    incidents: incidentSettings,
    ...(identityProviders[0] ? { identityProvider: identityProviders[0] } : {}),
    witnesses: sortByName(witnesses),
    fieldChains: compiler.fieldChains,
  };
  return deepFreeze(bundle);
}

function executionWindowOf(window: string): ExecutionWindow {
  return { window, windowMs: parseDuration(window)! };
}

function defaultApproval(): ApprovalRequirement {
  return { count: 1, from: [], ttl: defaultApprovalTtl, ttlMs: parseDuration(defaultApprovalTtl)! };
}

function sortByName<T extends { name?: string; id?: string }>(items: T[]): T[] {
  return [...items].sort((a, b) => (a.name ?? a.id ?? '').localeCompare(b.name ?? b.id ?? ''));
}

/** `sha256:<hex>` over RFC 8785 JSON of the documents sorted by kind then name: file layout does not matter. */
function bundleDigest(documents: readonly ValidDocument[]): string {
  const sorted = [...documents].sort((a, b) => a.kind.localeCompare(b.kind) || a.name.localeCompare(b.name));
  return `sha256:${sha256Hex(canonicalJson(sorted.map((document) => document.value as JsonValue)))}`;
}

/** A waiver naming a check no gate policy has is almost certainly a typo that would silently never apply. */
function unknownWaiverChecks(
  waivers: readonly WaiverRecord[],
  policies: readonly CompiledGatePolicy[],
): LoadProblem[] {
  const known = new Set<string>(Object.values(supplyCheckNames));
  for (const policy of policies) for (const check of policy.checks) known.add(check.name);
  return waivers
    .filter((waiver) => !known.has(waiver.scope.check))
    .map((waiver) => ({
      file: waiver.source.file,
      line: waiver.source.line,
      col: waiver.source.col,
      code: 'ARB_ERR_POLICY_INVALID_VALUE' as const,
      message: `waiver "${waiver.name}" names check "${waiver.scope.check}", which no GatePolicy defines (known: ${[...known].sort().join(', ')})`,
    }));
}

function duplicateNames(documents: readonly ValidDocument[]): LoadProblem[] {
  const problems: LoadProblem[] = [];
  const first = new Map<string, ValidDocument>();
  for (const document of documents) {
    const key = document.kind === 'Bundle' ? 'Bundle' : `${document.kind}/${document.name}`;
    const earlier = first.get(key);
    if (!earlier) {
      first.set(key, document);
      continue;
    }
    const at = earlier.source.locator.at(['metadata', 'name']);
    const what =
      document.kind === 'Bundle'
        ? 'a second Bundle document'
        : `duplicate ${document.kind} name "${document.name}"`;
    problems.push({
      file: document.source.file,
      ...document.source.locator.at(['metadata', 'name']),
      code: 'ARB_ERR_POLICY_DUPLICATE_NAME',
      message: `${what} (first defined at ${earlier.source.file}:${at.line}:${at.col})`,
    });
  }
  return problems;
}

const selectorPattern = /^(owner|group:[^\s:]+|user:[^\s]+)$/;

/** Compiles one validated document at a time, recording problems against its source. */
class DocumentCompiler {
  private source: SourceDocument | undefined;
  /** The bundle's fact sets by their paths: expressions reading the same paths share one. */
  private readonly factSets = new Map<string, FactSet>();
  /** The bundle's field chains: conditions reading the same chain read it once per verdict. */
  readonly fieldChains = new FieldChains();

  constructor(private readonly problems: LoadProblem[]) {}

  use(source: SourceDocument | undefined): void {
    this.source = source;
  }

  private ref(path: Path): SourceRef {
    if (!this.source) return { file: '(defaults)', line: 0, col: 0 };
    return { file: this.source.file, ...this.source.locator.at(path) };
  }

  private report(path: Path, code: LoadProblem['code'], message: string, offset?: number): void {
    if (!this.source) return;
    const at =
      offset === undefined ? this.source.locator.at(path) : this.source.locator.inString(path, offset);
    this.problems.push({ file: this.source.file, ...at, code, message });
  }

  private expression(
    path: Path,
    text: string,
    scope: ExpressionScope,
    expected: ExpectedType,
    declared: ReadonlyMap<string, FactSet>,
  ): CompiledExpression {
    const compiled = compileExpression(text, scope, expected, {
      variableFacts: declared,
      chains: this.fieldChains,
    });
    if (isCompileFailure(compiled)) {
      this.report(path, compiled.code, compiled.message, compiled.offset);
      return {
        source: text,
        reads: [],
        variables: [],
        facts: factSet([]),
        evaluate: () => undefined,
        evaluateReads: () => undefined,
        condition: undefined,
      };
    }
    for (const variable of compiled.variables) {
      if (declared.has(variable)) continue;
      const offset = Math.max(0, text.search(new RegExp(`variables\\s*\\.\\s*${variable}\\b`)));
      const known =
        declared.size > 0
          ? ` (declared before this point: ${[...declared.keys()].join(', ')})`
          : ' (no variables are declared before this point)';
      this.report(
        path,
        'ARB_ERR_POLICY_UNKNOWN_VARIABLE',
        `unknown variable "variables.${variable}"${known}`,
        offset,
      );
    }
    return { ...compiled, facts: internFactSet(this.factSets, compiled.facts, this.fieldChains) };
  }

  private variables(
    specs: readonly { name: string; expression: string }[] | undefined,
    scope: ExpressionScope,
  ): { compiled: CompiledVariable[]; declared: Map<string, FactSet> } {
    const declared = new Map<string, FactSet>();
    const compiled: CompiledVariable[] = [];
    (specs ?? []).forEach((variable, i) => {
      const path = ['spec', 'variables', i];
      if (declared.has(variable.name)) {
        this.report(
          [...path, 'name'],
          'ARB_ERR_POLICY_DUPLICATE_NAME',
          `duplicate variable name "${variable.name}"`,
        );
      }
      const expression = this.expression(
        [...path, 'expression'],
        variable.expression,
        scope,
        'any',
        declared,
      );
      declared.set(variable.name, expression.facts);
      compiled.push({ name: variable.name, expression });
    });
    return { compiled, declared };
  }

  private uniqueNames(items: readonly { name: string }[], listPath: Path, what: string): void {
    const seen = new Set<string>();
    items.forEach((item, i) => {
      if (seen.has(item.name))
        this.report(
          [...listPath, i, 'name'],
          'ARB_ERR_POLICY_DUPLICATE_NAME',
          `duplicate ${what} name "${item.name}"`,
        );
      seen.add(item.name);
    });
  }

  /** The static message and the compiled messageExpression of a rule, check or alert, when given. */
  private messages(
    spec: { message?: string; messageExpression?: string },
    path: Path,
    scope: ExpressionScope,
    declared: ReadonlyMap<string, FactSet>,
  ): { message?: string; messageExpression?: CompiledExpression } {
    return {
      ...(spec.message === undefined ? {} : { message: spec.message }),
      ...(spec.messageExpression === undefined
        ? {}
        : {
            messageExpression: this.expression(
              [...path, 'messageExpression'],
              spec.messageExpression,
              scope,
              'string',
              declared,
            ),
          }),
    };
  }

  /** Validates and normalises an approval block; `count` defaults to the number of selectors (at least 1). */
  approval(spec: ApprovalSpec | undefined, path: Path): ApprovalRequirement | undefined {
    if (!spec) return undefined;
    const from = spec.from ?? [];
    from.forEach((selector, i) => {
      if (!selectorPattern.test(selector)) {
        this.report(
          [...path, 'from', i],
          'ARB_ERR_POLICY_INVALID_VALUE',
          `approval selector "${selector}" must be "owner", "group:NAME" or "user:NAME"`,
        );
      }
    });
    const count = spec.count ?? Math.max(1, new Set(from).size);
    if (count < new Set(from).size) {
      this.report(
        [...path, 'count'],
        'ARB_ERR_POLICY_INVALID_VALUE',
        `approval count ${count} is less than the ${new Set(from).size} selectors, each of which needs its own approver`,
      );
    }
    const ttl = spec.ttl ?? defaultApprovalTtl;
    const ttlMs = parseDuration(ttl);
    if (ttlMs === undefined) {
      this.report(
        [...path, 'ttl'],
        'ARB_ERR_POLICY_INVALID_VALUE',
        `approval ttl "${ttl}" is not a duration such as 30m, 1h or 1d`,
      );
    }
    const maxAuthAgeMs = spec.maxAuthAge === undefined ? undefined : parseDuration(spec.maxAuthAge);
    if (spec.maxAuthAge !== undefined && (maxAuthAgeMs === undefined || maxAuthAgeMs <= 0)) {
      this.report(
        [...path, 'maxAuthAge'],
        'ARB_ERR_POLICY_INVALID_VALUE',
        `maxAuthAge "${spec.maxAuthAge}" is not a duration such as 5m or 15m`,
      );
    }
    return {
      count,
      from: [...new Set(from)],
      ttl,
      ttlMs: ttlMs ?? 0,
      ...(spec.assurance ? { assurance: spec.assurance } : {}),
      ...(spec.maxAuthAge !== undefined
        ? { maxAuthAge: spec.maxAuthAge, maxAuthAgeMs: maxAuthAgeMs ?? 0 }
        : {}),
    };
  }

  invalid(path: Path, message: string): void {
    this.report(path, 'ARB_ERR_POLICY_INVALID_VALUE', message);
  }

  identityProvider(document: IdentityProviderDocument): IdentityProviderConfig {
    const { spec, metadata } = document;
    const invalid = (path: Path, message: string) => this.invalid(['spec', ...path], message);
    const secure = (field: 'issuer' | 'redirectUrl', url: string) => {
      let parsed: URL;
      try {
        parsed = new URL(url);
      } catch {
        invalid([field], `${field} "${url}" is not a URL`);
        return;
      }
      // Plain http only on this machine (a provider or a server started for development and tests).
      if (parsed.protocol !== 'https:' && !isLoopbackHost(parsed.hostname))
        invalid([field], `${field} "${url}" must be https:// (http:// only for 127.0.0.1, ::1 or localhost)`);
      if (field === 'redirectUrl' && parsed.pathname !== '/auth/callback')
        invalid([field], `redirectUrl "${url}" must end in /auth/callback, the route that finishes sign-in`);
      if (parsed.username || parsed.password || parsed.hash)
        invalid([field], `${field} may not carry credentials or a fragment`);
    };
    secure('issuer', spec.issuer);
    secure('redirectUrl', spec.redirectUrl);
    const sessionTtl = spec.sessionTtl ?? defaultSessionTtl;
    const sessionTtlMs = parseDuration(sessionTtl);
    // The message's bounds are the check's: a session shorter than a minute ends mid sign-in.
    if (sessionTtlMs === undefined || sessionTtlMs < 60_000 || sessionTtlMs > maxSessionTtlMs)
      invalid(['sessionTtl'], `sessionTtl "${sessionTtl}" is not a duration between 1m and 7d`);
    const domains = (spec.allowedEmailDomains ?? []).map((domain) => domain.trim().toLowerCase());
    domains.forEach((domain, i) => {
      if (!/^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$/.test(domain))
        invalid(['allowedEmailDomains', i], `"${domain}" is not a domain name such as example.com`);
    });
    spec.groupMapping.forEach((entry, i) => {
      if (!entry.role && (entry.groups ?? []).length === 0)
        invalid(['groupMapping', i], `group mapping for "${entry.idpGroup}" gives neither groups nor a role`);
    });
    return {
      name: metadata.name,
      displayName: spec.displayName ?? metadata.name,
      issuer: spec.issuer,
      clientId: spec.clientId,
      ...(spec.clientSecretEnv ? { clientSecretEnv: spec.clientSecretEnv } : {}),
      redirectUrl: spec.redirectUrl,
      groupsClaim: spec.groupsClaim ?? 'groups',
      groupMapping: spec.groupMapping.map((entry) => ({
        idpGroup: entry.idpGroup,
        groups: entry.groups ?? [],
        ...(entry.role ? { role: entry.role } : {}),
      })),
      ...(spec.allowedEmailDomains ? { allowedEmailDomains: domains } : {}),
      scopes: spec.scopes ?? [],
      sessionTtl,
      sessionTtlMs: sessionTtlMs ?? 0,
      mfaAcrValues: spec.mfaAcrValues ?? [],
    };
  }

  /** Validates an execution window (`15m`); undefined when none is set. */
  executionWindow(window: string | undefined, path: Path): ExecutionWindow | undefined {
    if (window === undefined) return undefined;
    const windowMs = parseDuration(window);
    if (windowMs === undefined || windowMs <= 0) {
      this.report(
        path,
        'ARB_ERR_POLICY_INVALID_VALUE',
        `executionWindow "${window}" is not a duration such as 5m, 15m or 1h`,
      );
      return undefined;
    }
    return { window, windowMs };
  }

  actionPolicy(document: ActionPolicyDocument): CompiledActionPolicy {
    const { spec, metadata } = document;
    const { compiled: variables, declared } = this.variables(spec.variables, 'action');
    this.uniqueNames(spec.rules, ['spec', 'rules'], 'rule');
    const rules: CompiledActionRule[] = spec.rules.map((rule, i) => {
      const path = ['spec', 'rules', i];
      if (rule.approval && rule.effect !== 'require_approval') {
        this.report(
          [...path, 'approval'],
          'ARB_ERR_POLICY_INVALID_VALUE',
          `approval is only meaningful on a require_approval rule, not on ${rule.effect}`,
        );
      }
      const approval =
        rule.effect === 'require_approval'
          ? (this.approval(rule.approval, [...path, 'approval']) ?? defaultApproval())
          : undefined;
      if (rule.executionWindow !== undefined && rule.effect === 'deny') {
        this.report(
          [...path, 'executionWindow'],
          'ARB_ERR_POLICY_INVALID_VALUE',
          'executionWindow is only meaningful on an allow or require_approval rule, not on deny',
        );
      }
      const executionWindow = this.executionWindow(rule.executionWindow, [...path, 'executionWindow']);
      return {
        name: rule.name,
        ...(rule.description === undefined ? {} : { description: rule.description }),
        when: this.expression([...path, 'when'], rule.when, 'action', 'bool', declared),
        effect: rule.effect,
        ...this.messages(rule, path, 'action', declared),
        ...(approval ? { approval } : {}),
        ...(executionWindow ? { executionWindow } : {}),
        source: this.ref(path),
      };
    });
    const expressions = [
      ...variables.map((v) => v.expression),
      ...rules.flatMap((rule) => [rule.when, rule.messageExpression]),
    ];
    return {
      name: metadata.name,
      ...(metadata.description === undefined ? {} : { description: metadata.description }),
      mode: spec.mode ?? 'enforce',
      match: spec.match ?? {},
      readsRecentActivity: expressions.some(
        (expression) =>
          expression?.reads.some((read) => read === 'actor' || read.startsWith('actor.recent')) ?? false,
      ),
      readsTrackRecord: expressions.some(
        (expression) =>
          expression?.reads.some((read) => read === 'actor' || read.startsWith('actor.trackRecord')) ?? false,
      ),
      variables,
      rules,
      source: this.ref([]),
    };
  }

  gatePolicy(document: GatePolicyDocument): CompiledGatePolicy {
    const { spec, metadata } = document;
    const { compiled: variables, declared } = this.variables(spec.variables, 'gate');
    this.uniqueNames(spec.checks ?? [], ['spec', 'checks'], 'check');
    const checks = (spec.checks ?? []).map((check, i) => {
      const path = ['spec', 'checks', i];
      return {
        name: check.name,
        ...(check.description === undefined ? {} : { description: check.description }),
        assert: this.expression([...path, 'assert'], check.assert, 'gate', 'bool', declared),
        severity: check.severity ?? 'error',
        ...this.messages(check, path, 'gate', declared),
        source: this.ref(path),
      };
    });
    const supplyChain = spec.supplyChain ? this.supplyChain(spec.supplyChain) : undefined;
    if (checks.length === 0 && !supplyChain)
      this.report(['spec'], 'ARB_ERR_POLICY_INVALID_VALUE', 'a GatePolicy needs checks, supplyChain or both');
    return {
      name: metadata.name,
      ...(metadata.description === undefined ? {} : { description: metadata.description }),
      match: spec.match ?? {},
      variables,
      checks,
      ...(supplyChain ? { supplyChain } : {}),
      source: this.ref([]),
    };
  }

  /** Files named by a policy are relative to the policy file, wherever Arbiter runs from. */
  private near(file: string): string {
    return this.source ? join(dirname(this.source.file), file) : file;
  }

  private supplyChain(spec: SupplyChainSpec): CompiledSupplyChain {
    const path = ['spec', 'supplyChain'];
    const near = (file: string) => this.near(file);
    const out: CompiledSupplyChain = {};
    if (spec.modelScan)
      out.modelScan = {
        failOn: spec.modelScan.failOn ?? 'high',
        severity: spec.modelScan.severity ?? 'error',
      };
    if (spec.licenses) {
      const { allow, deny = [] } = spec.licenses;
      for (const [field, list] of [
        ['allow', allow ?? []],
        ['deny', deny],
      ] as const) {
        list.forEach((entry, i) => {
          for (const message of licenseListProblems([entry]))
            this.report([...path, 'licenses', field, i], 'ARB_ERR_POLICY_INVALID_VALUE', message);
        });
      }
      out.licenses = {
        ...(allow ? { allow } : {}),
        deny,
        unknown: spec.licenses.unknown ?? 'error',
        includeOptional: spec.licenses.includeOptional ?? false,
        severity: spec.licenses.severity ?? 'error',
      };
    }
    if (spec.vulnerabilities) {
      const { maxDatabaseAge } = spec.vulnerabilities;
      const maxDatabaseAgeMs = maxDatabaseAge === undefined ? undefined : parseDuration(maxDatabaseAge);
      if (maxDatabaseAge !== undefined && maxDatabaseAgeMs === undefined)
        this.report(
          [...path, 'vulnerabilities', 'maxDatabaseAge'],
          'ARB_ERR_POLICY_INVALID_VALUE',
          `maxDatabaseAge "${maxDatabaseAge}" is not a duration such as 36h or 7d`,
        );
      out.vulnerabilities = {
        failOn: spec.vulnerabilities.failOn ?? 'high',
        ...(maxDatabaseAge !== undefined ? { maxDatabaseAge, maxDatabaseAgeMs: maxDatabaseAgeMs ?? 0 } : {}),
        requireDatabase: spec.vulnerabilities.requireDatabase ?? true,
        severity: spec.vulnerabilities.severity ?? 'error',
      };
    }
    if (spec.provenance) {
      const signers = (spec.provenance.signers ?? []).map((signer) =>
        'publicKeyFile' in signer ? { publicKeyFile: near(signer.publicKeyFile) } : signer,
      );
      const requireSignature = spec.provenance.requireSignature ?? signers.length > 0;
      if (requireSignature && signers.length === 0)
        this.report(
          [...path, 'provenance', 'requireSignature'],
          'ARB_ERR_POLICY_INVALID_VALUE',
          'requireSignature needs signers: a signature from anyone proves nothing',
        );
      out.provenance = {
        requireDigests: spec.provenance.requireDigests ?? true,
        requireSignature,
        signers,
        ...(spec.provenance.trustedRoot ? { trustedRoot: near(spec.provenance.trustedRoot) } : {}),
        severity: spec.provenance.severity ?? 'error',
      };
    }
    return out;
  }

  waiver(document: WaiverDocument): WaiverRecord {
    const { spec, metadata } = document;
    const expires = waiverExpiry(spec.expires);
    if (expires === undefined)
      this.report(
        ['spec', 'expires'],
        'ARB_ERR_POLICY_INVALID_VALUE',
        `expires "${spec.expires}" is not a date (2026-12-31) or an RFC 3339 timestamp`,
      );
    return {
      name: metadata.name,
      owner: spec.owner,
      reason: spec.reason,
      ...(spec.approvedBy ? { approvedBy: spec.approvedBy } : {}),
      expires: expires ?? new Date(0).toISOString(),
      scope: { ...spec.scope },
      source: this.ref([]),
    };
  }

  monitorPolicy(document: MonitorPolicyDocument): CompiledMonitorPolicy {
    const { spec, metadata } = document;
    const { compiled: variables, declared } = this.variables(spec.variables, 'monitor');
    this.uniqueNames(spec.alerts, ['spec', 'alerts'], 'alert');
    const alerts = spec.alerts.map((alert, i) => {
      const path = ['spec', 'alerts', i];
      return {
        name: alert.name,
        ...(alert.description === undefined ? {} : { description: alert.description }),
        when: this.expression([...path, 'when'], alert.when, 'monitor', 'bool', declared),
        severity: alert.severity,
        for: alert.for ?? 1,
        ...this.messages(alert, path, 'monitor', declared),
        source: this.ref(path),
      };
    });
    return {
      name: metadata.name,
      ...(metadata.description === undefined ? {} : { description: metadata.description }),
      match: spec.match ?? {},
      ...(spec.profile ? { profile: this.near(spec.profile) } : {}),
      variables,
      alerts,
      source: this.ref([]),
    };
  }

  notifier(document: NotifierDocument): NotifierConfig {
    const { spec, metadata } = document;
    const invalid = (field: string, message: string) =>
      this.report(['spec', field], 'ARB_ERR_POLICY_INVALID_VALUE', message);
    if ((spec.type === 'webhook' || spec.type === 'slack') && !spec.url && !spec.urlEnv) {
      invalid('type', `a ${spec.type} notifier needs url or urlEnv`);
    }
    if (spec.type === 'webhook' && !spec.secretEnv)
      invalid('type', 'a webhook notifier needs secretEnv: deliveries are signed with HMAC-SHA256');
    if (spec.type === 'pagerduty' && !spec.routingKeys && !spec.defaultRoutingKeyEnv) {
      invalid('type', 'a pagerduty notifier needs routingKeys (per owner team) or defaultRoutingKeyEnv');
    }
    if (spec.url && spec.urlEnv) invalid('urlEnv', 'give url or urlEnv, not both');
    if (spec.interactive && spec.type !== 'slack')
      invalid('interactive', 'only a slack notifier has Approve / Reject buttons');
    const defaultEvents: Record<NotifierConfig['type'], readonly NotificationEventType[]> = {
      webhook: notificationEvents,
      slack: ['decision.pending'],
      pagerduty: [
        'system.frozen',
        'system.unfrozen',
        'system.autonomy_changed',
        'decision.outcome',
        'alert.firing',
        'alert.resolved',
        'incident.opened',
        'incident.resolved',
        'ledger.fork',
      ],
    };
    return {
      name: metadata.name,
      type: spec.type,
      ...(spec.url ? { url: spec.url } : {}),
      ...(spec.urlEnv ? { urlEnv: spec.urlEnv } : {}),
      ...(spec.secretEnv ? { secretEnv: spec.secretEnv } : {}),
      routingKeys: spec.routingKeys ?? {},
      ...(spec.defaultRoutingKeyEnv ? { defaultRoutingKeyEnv: spec.defaultRoutingKeyEnv } : {}),
      events: spec.events ?? defaultEvents[spec.type],
      ...(spec.teams ? { teams: spec.teams } : {}),
      minSeverity: spec.minSeverity ?? (spec.type === 'pagerduty' ? 'error' : 'info'),
      maxAttempts: spec.maxAttempts ?? 8,
      timeoutMs: spec.timeoutMs ?? 5_000,
      ...(spec.dashboardUrl ? { dashboardUrl: spec.dashboardUrl } : {}),
      ...(spec.interactive ? { interactive: true } : {}),
    };
  }

  witness(document: WitnessDocument): WitnessConfig {
    const { spec, metadata } = document;
    const key = readCosignatureVerifierKey(spec.verifierKey);
    if ('problem' in key) this.report(['spec', 'verifierKey'], 'ARB_ERR_POLICY_INVALID_VALUE', key.problem);
    const keyName = 'name' in key ? key.name : '';
    return {
      name: metadata.name,
      url: spec.url.replace(/\/+$/, ''),
      verifierKey: spec.verifierKey.trim(),
      keyName,
      timeoutMs: spec.timeoutMs ?? 5_000,
    };
  }

  onCallRotation(document: OnCallRotationDocument): OnCallRotationRecord {
    return compileOnCallRotation(
      document,
      (path, message) => this.report(path, 'ARB_ERR_POLICY_INVALID_VALUE', message),
      this.ref([]),
    );
  }

  incidentSettings(spec: BundleDocument['spec']['incidents']): IncidentSettings {
    return compileIncidentSettings(spec, (path, message) =>
      this.report(path, 'ARB_ERR_POLICY_INVALID_VALUE', message),
    );
  }

  system(document: SystemDocument): SystemRecord {
    const { spec, metadata } = document;
    return {
      id: metadata.name,
      kind: spec.kind,
      ...((spec.description ?? metadata.description)
        ? { description: spec.description ?? metadata.description }
        : {}),
      owner: { team: spec.owner.team, person: spec.owner.person },
      onCall: spec.onCall,
      autonomy: spec.autonomy as SystemRecord['autonomy'],
      riskTier: spec.riskTier,
      status: spec.status ?? 'active',
      ...(spec.operatingConditions ? { operatingConditions: spec.operatingConditions } : {}),
      ...(spec.errorBudget ? { errorBudget: this.errorBudget(spec.errorBudget) } : {}),
      ...(spec.github ? { github: spec.github } : {}),
      ...(spec.gitlab ? { gitlab: spec.gitlab } : {}),
      source: this.ref([]),
    };
  }

  private errorBudget(spec: ErrorBudgetSpec): NonNullable<SystemRecord['errorBudget']> {
    if (parseDuration(spec.window) === undefined)
      this.report(
        ['spec', 'errorBudget', 'window'],
        'ARB_ERR_POLICY_INVALID_VALUE',
        `errorBudget window "${spec.window}" is not a duration such as 7d or 24h`,
      );
    return {
      maxFailures: spec.maxFailures,
      window: spec.window,
      environments: spec.environments ?? defaultBudgetEnvironments,
    };
  }
}

function isLoopbackHost(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(hostname);
}

/** A bare date lasts through that day (UTC); a timestamp is taken as given. */
function waiverExpiry(text: string): string | undefined {
  if (/^\d{4}-\d{2}-\d{2}$/.test(text)) {
    const day = new Date(`${text}T00:00:00Z`);
    return Number.isNaN(day.getTime()) ? undefined : new Date(day.getTime() + 86_400_000).toISOString();
  }
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(text)) return undefined;
  const instant = new Date(text);
  return Number.isNaN(instant.getTime()) ? undefined : instant.toISOString();
}

function deepFreeze<T>(value: T): T {
  if (typeof value !== 'object' || value === null || Object.isFrozen(value)) return value;
  for (const key of Object.keys(value)) deepFreeze((value as Record<string, unknown>)[key]);
  return Object.freeze(value);
}
