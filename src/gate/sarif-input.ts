import { sha256Hex } from '../core/digest.js';
import { ArbiterError } from '../core/errors.js';
import type { Severity } from '../supply/findings.js';

/**
 * Reads SARIF 2.1.0 from any scanner (Trivy, Grype, Semgrep, CodeQL, Checkov…) into findings the
 * gate can count, compare with a baseline and waive. Pure. Tolerates what real tools do
 * differently: rules found by `ruleId`, `ruleIndex` or `rule.toolComponent` (CodeQL keeps its
 * query metadata in `tool.extensions`), levels on the result or only on the rule, locations by
 * URI or by artifact index, fingerprints present or not.
 */

export const sarifLevels = ['error', 'warning', 'note', 'none'] as const;
export type SarifLevel = (typeof sarifLevels)[number];

/** One result of a scanner, normalised. */
export interface ScannerFinding {
  source: 'sarif';
  /** The SARIF file it was read from, as shown. */
  input: string;
  /** The tool as a lowercase key (`Semgrep OSS` → `semgrep-oss`): what CEL's `byTool` and waivers use. */
  tool: string;
  /** The tool's name as it wrote it. */
  toolName: string;
  toolVersion?: string;
  rule: string;
  ruleName?: string;
  level: SarifLevel;
  severity: Severity;
  /** Where the severity came from: `security-severity 7.5` or `level error`. */
  severityFrom: string;
  message: string;
  location: { file: string; startLine?: number };
  /** Stable across runs of the tool: derived from its fingerprints, else from tool, rule, file and message. */
  fingerprint: string;
  /** The tool's own comparison with its baseline, when it ran with one. */
  baselineState?: 'new' | 'unchanged' | 'updated';
  tags?: string[];
  /** For dependency scanners that name the package (Trivy's `Package:` / `Installed Version:` lines). */
  package?: { name: string; version?: string };
  /** Suppressed in the tool's own output (`# nosemgrep`, a dismissed alert): reported, never failing. */
  suppression?: { kind: string; status?: string; justification?: string };
}

/** A run's tool, present even when it found nothing: `requireTools` needs to know that it ran. */
export interface SarifRunSummary {
  input: string;
  tool: string;
  toolName: string;
  toolVersion?: string;
  results: number;
}

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const text = (value: unknown): string | undefined =>
  typeof value === 'string' && value !== '' ? value : undefined;
const integer = (value: unknown): number | undefined =>
  typeof value === 'number' && Number.isInteger(value) && value >= 0 ? value : undefined;

/** `Semgrep OSS` → `semgrep-oss`: a key that CEL map access and waiver globs can spell. */
export function toolKey(name: string): string {
  return (
    name
      .toLowerCase()
      .replace(/[^a-z0-9._-]+/g, '-')
      .replace(/^-+|-+$/g, '') || 'unknown'
  );
}

/**
 * Severity from `security-severity` (a CVSS-like score, as GitHub code scanning reads it: ≥ 9
 * critical, ≥ 7 high, ≥ 4 medium, > 0 low, 0 info), else from the level.
 */
export function sarifSeverity(
  securitySeverity: unknown,
  level: SarifLevel,
): { severity: Severity; from: string } {
  const score =
    typeof securitySeverity === 'number'
      ? securitySeverity
      : typeof securitySeverity === 'string' && securitySeverity.trim() !== ''
        ? Number(securitySeverity)
        : Number.NaN;
  if (Number.isFinite(score) && score >= 0 && score <= 10) {
    const severity: Severity =
      score >= 9 ? 'critical' : score >= 7 ? 'high' : score >= 4 ? 'medium' : score > 0 ? 'low' : 'info';
    return { severity, from: `security-severity ${score}` };
  }
  const byLevel: Record<SarifLevel, Severity> = {
    error: 'high',
    warning: 'medium',
    note: 'low',
    none: 'info',
  };
  return { severity: byLevel[level], from: `level ${level}` };
}

function fail(input: string, message: string): never {
  throw new ArbiterError('ARB_ERR_INPUT_INVALID', `${input}: ${message}`, {
    details: { file: input, format: 'sarif' },
  });
}

function levelOf(value: unknown, input: string, where: string): SarifLevel | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'string' && (sarifLevels as readonly string[]).includes(value))
    return value as SarifLevel;
  return fail(input, `${where}.level ${JSON.stringify(value)} is not one of ${sarifLevels.join(', ')}`);
}

/** A message: plain text, else the rule's message string with its {0} placeholders filled in. */
function messageText(message: unknown, rule: Json | undefined): string {
  if (!isObject(message)) return '';
  const direct = text(message.text) ?? text(message.markdown);
  if (direct) return direct;
  const id = text(message.id);
  const strings = isObject(rule?.messageStrings) ? rule.messageStrings : undefined;
  const template = id && isObject(strings?.[id]) ? text((strings[id] as Json).text) : undefined;
  if (!template) return '';
  const args = Array.isArray(message.arguments) ? message.arguments.map(String) : [];
  return template.replace(/\{(\d+)\}/g, (whole, index: string) => args[Number(index)] ?? whole);
}

function uriOf(location: Json, run: Json): string | undefined {
  const artifact = isObject(location.artifactLocation) ? location.artifactLocation : undefined;
  let uri = text(artifact?.uri);
  const index = integer(artifact?.index);
  if (!uri && index !== undefined && Array.isArray(run.artifacts)) {
    const entry = run.artifacts[index];
    if (isObject(entry) && isObject(entry.location)) uri = text(entry.location.uri);
  }
  if (!uri) return undefined;
  const path = uri.replace(/^file:\/\/(localhost)?/, '');
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}

function locationOf(result: Json, run: Json): { file?: string; startLine?: number } {
  const first = Array.isArray(result.locations) ? result.locations.find(isObject) : undefined;
  const physical = isObject(first?.physicalLocation) ? first.physicalLocation : undefined;
  if (physical) {
    const region = isObject(physical.region) ? physical.region : undefined;
    const startLine = integer(region?.startLine);
    const file = uriOf(physical, run);
    return { ...(file ? { file } : {}), ...(startLine ? { startLine } : {}) };
  }
  const logical = Array.isArray(first?.logicalLocations) ? first.logicalLocations.find(isObject) : undefined;
  const name = text(logical?.fullyQualifiedName) ?? text(logical?.name);
  return name ? { file: name } : {};
}

/** The rule a result names (with its JSON path): by `rule.toolComponent` + index (CodeQL packs), `ruleIndex`, or id. */
function ruleOf(result: Json, run: Json, runPath: string): { rule: Json; path: string } | undefined {
  const tool = isObject(run.tool) ? run.tool : {};
  const driver = isObject(tool.driver) ? tool.driver : {};
  const extensions = Array.isArray(tool.extensions) ? tool.extensions : [];
  const components: { component: Json; path: string }[] = [
    { component: driver, path: `${runPath}.tool.driver` },
    ...extensions.flatMap((extension, e) =>
      isObject(extension) ? [{ component: extension, path: `${runPath}.tool.extensions[${e}]` }] : [],
    ),
  ];
  const reference = isObject(result.rule) ? result.rule : undefined;
  const componentIndex = isObject(reference?.toolComponent)
    ? integer(reference.toolComponent.index)
    : undefined;
  const extension = componentIndex === undefined ? undefined : extensions[componentIndex];
  const chosen =
    componentIndex !== undefined && isObject(extension)
      ? { component: extension, path: `${runPath}.tool.extensions[${componentIndex}]` }
      : { component: driver, path: `${runPath}.tool.driver` };
  const rules = (c: Json) => (Array.isArray(c.rules) ? c.rules : []);
  const index = integer(reference?.index) ?? integer(result.ruleIndex);
  const indexed = index === undefined ? undefined : rules(chosen.component)[index];
  if (isObject(indexed)) return { rule: indexed, path: `${chosen.path}.rules[${index}]` };
  const id = text(result.ruleId) ?? text(reference?.id);
  if (!id) return undefined;
  for (const candidate of components) {
    const k = rules(candidate.component).findIndex((rule) => isObject(rule) && rule.id === id);
    const found = rules(candidate.component)[k];
    if (isObject(found)) return { rule: found, path: `${candidate.path}.rules[${k}]` };
  }
  return undefined;
}

/**
 * A `security-severity` as written, checked: a number (or a string holding one, as GitHub reads
 * it) from 0 to 10. Anything else (`"banana"`, `"high"`, `42`) is refused, naming where it is; an
 * absent value is undefined.
 */
function securitySeverityOf(properties: Json, input: string, where: string): number | undefined {
  const value = properties['security-severity'];
  if (value === undefined || value === null) return undefined;
  const score =
    typeof value === 'number'
      ? value
      : typeof value === 'string' && /^\s*[+]?(\d+(\.\d*)?|\.\d+)\s*$/.test(value)
        ? Number(value)
        : Number.NaN;
  if (!Number.isFinite(score) || score < 0 || score > 10)
    fail(
      input,
      `${where}.properties["security-severity"] ${JSON.stringify(value)} is not a score from 0 to 10 (a number or a numeric string)`,
    );
  return score;
}

/**
 * Dependency scanners name the package in the message: Trivy as `Package: openssl` and
 * `Installed Version: 3.0.11-1` lines, Grype as `… in npm package: lodash, version 4.17.20 …`.
 */
function packageOf(message: string): ScannerFinding['package'] {
  const name = /^Package: (.+)$/m.exec(message)?.[1]?.trim();
  if (name) {
    const version = /^Installed Version: (.+)$/m.exec(message)?.[1]?.trim();
    return { name, ...(version ? { version } : {}) };
  }
  const grype = /\bpackage: ([^\s,]+), version ([^\s,]+)/.exec(message);
  return grype?.[1] && grype[2] ? { name: grype[1], version: grype[2] } : undefined;
}

const vulnerabilityId =
  /\b(CVE-\d{4}-\d{4,}|GHSA(?:-[0-9a-z]{4}){3}|PYSEC-\d{4}-\d+|GO-\d{4}-\d+|OSV-\d{4}-\d+)\b/gi;

/**
 * The vulnerability ids a finding is about, for VEX matching: its rule id (Trivy: `CVE-2023-5363`;
 * Grype: `CVE-2021-23337-lodash`) and the advisory ids in it, upper-cased.
 */
export function vulnerabilityIdsOf(finding: Pick<ScannerFinding, 'rule'>): string[] {
  const found = [...finding.rule.matchAll(vulnerabilityId)].map((match) => (match[1] ?? '').toUpperCase());
  return [...new Set([finding.rule.toUpperCase(), ...found])];
}

/** A result counts as suppressed when every suppression on it is accepted (SARIF §3.35). */
function suppressionOf(result: Json): ScannerFinding['suppression'] {
  const list = Array.isArray(result.suppressions) ? result.suppressions.filter(isObject) : [];
  if (list.length === 0) return undefined;
  if (!list.every((s) => s.status === undefined || s.status === 'accepted')) return undefined;
  const first = list[0] ?? {};
  const justification = text(first.justification);
  return {
    kind: text(first.kind) ?? 'external',
    ...(text(first.status) ? { status: text(first.status) } : {}),
    ...(justification ? { justification } : {}),
  };
}

function fingerprintOf(result: Json, tool: string, rule: string): string | undefined {
  for (const field of ['fingerprints', 'partialFingerprints'] as const) {
    const value = result[field];
    if (!isObject(value)) continue;
    const entries = Object.entries(value)
      .filter((entry): entry is [string, string] => typeof entry[1] === 'string' && entry[1] !== '')
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([key, v]) => `${key}=${v}`);
    if (entries.length > 0) return sha256Hex(JSON.stringify([tool, rule, field, ...entries])).slice(0, 32);
  }
  return undefined;
}

/**
 * Parses one SARIF log. Throws ARB_ERR_INPUT_INVALID naming the file for what is not SARIF 2.1.0.
 * Results of kind `pass` or `notApplicable` and results `absent` since the tool's baseline are not
 * findings and are left out.
 */
export function parseSarif(
  input: string,
  value: unknown,
): { findings: ScannerFinding[]; runs: SarifRunSummary[] } {
  if (!isObject(value)) fail(input, 'not a SARIF log (expected a JSON object with "version" and "runs")');
  if (value.version !== '2.1.0')
    fail(input, `SARIF version ${JSON.stringify(value.version ?? null)} is not supported (only "2.1.0" is)`);
  if (!Array.isArray(value.runs)) fail(input, '"runs" must be an array');
  const findings: ScannerFinding[] = [];
  const runs: SarifRunSummary[] = [];
  value.runs.forEach((run: unknown, r: number) => {
    if (!isObject(run)) fail(input, `runs[${r}] is not an object`);
    const driver = isObject(run.tool) && isObject(run.tool.driver) ? run.tool.driver : undefined;
    const toolName = text(driver?.name);
    if (!toolName) fail(input, `runs[${r}].tool.driver.name is missing`);
    const tool = toolKey(toolName);
    const toolVersion = text(driver?.semanticVersion) ?? text(driver?.version);
    if (run.results !== undefined && run.results !== null && !Array.isArray(run.results))
      fail(input, `runs[${r}].results must be an array`);
    const results: unknown[] = Array.isArray(run.results) ? run.results : [];
    runs.push({ input, tool, toolName, ...(toolVersion ? { toolVersion } : {}), results: results.length });
    // Without fingerprints, identical findings in one file are told apart by their order.
    const occurrences = new Map<string, number>();
    results.forEach((result, i) => {
      const where = `runs[${r}].results[${i}]`;
      if (!isObject(result)) fail(input, `${where} is not an object`);
      const kind = text(result.kind) ?? 'fail';
      if (kind === 'pass' || kind === 'notApplicable' || result.baselineState === 'absent') return;
      const found = ruleOf(result, run, `runs[${r}]`);
      const rule = found?.rule;
      const ruleId =
        text(result.ruleId) ?? text(isObject(result.rule) ? result.rule.id : undefined) ?? text(rule?.id);
      if (!ruleId) fail(input, `${where} names no rule (ruleId, rule.id or ruleIndex)`);
      const defaults = isObject(rule?.defaultConfiguration) ? rule.defaultConfiguration : undefined;
      const level: SarifLevel =
        levelOf(result.level, input, where) ??
        (kind !== 'fail' ? 'none' : undefined) ??
        levelOf(defaults?.level, input, `rule ${ruleId} defaultConfiguration`) ??
        'warning';
      const ruleProperties = isObject(rule?.properties) ? rule.properties : {};
      const resultProperties = isObject(result.properties) ? result.properties : {};
      const ruleScore = found ? securitySeverityOf(ruleProperties, input, found.path) : undefined;
      const { severity, from } = sarifSeverity(
        securitySeverityOf(resultProperties, input, where) ?? ruleScore,
        level,
      );
      // SARIF 2.1.0 §3.27.11: every result has a message, with text or the id of a message string.
      if (!isObject(result.message))
        fail(input, `${where}.message is missing (SARIF 2.1.0 requires a message on every result)`);
      if (!text(result.message.text) && !text(result.message.markdown) && !text(result.message.id))
        fail(input, `${where}.message has no "text" (nor an "id" of a message string)`);
      const message = messageText(result.message, rule);
      const location = locationOf(result, run);
      const file = location.file ?? input;
      const tags = Array.isArray(ruleProperties.tags)
        ? ruleProperties.tags.filter((t): t is string => typeof t === 'string')
        : [];
      let fingerprint = fingerprintOf(result, tool, ruleId);
      if (!fingerprint) {
        const base = sha256Hex(JSON.stringify([tool, ruleId, file, message])).slice(0, 32);
        const seen = (occurrences.get(base) ?? 0) + 1;
        occurrences.set(base, seen);
        fingerprint = `${base}:${seen}`;
      }
      const baselineState =
        result.baselineState === 'new' ||
        result.baselineState === 'unchanged' ||
        result.baselineState === 'updated'
          ? result.baselineState
          : undefined;
      const ruleName = text(rule?.name);
      const pkg = packageOf(message);
      const suppression = suppressionOf(result);
      findings.push({
        source: 'sarif',
        input,
        tool,
        toolName,
        ...(toolVersion ? { toolVersion } : {}),
        rule: ruleId,
        ...(ruleName && ruleName !== ruleId ? { ruleName } : {}),
        level,
        severity,
        severityFrom: from,
        message,
        location: { file, ...(location.startLine ? { startLine: location.startLine } : {}) },
        fingerprint,
        ...(baselineState ? { baselineState } : {}),
        ...(tags.length > 0 ? { tags } : {}),
        ...(pkg ? { package: pkg } : {}),
        ...(suppression ? { suppression } : {}),
      });
    });
  });
  return { findings, runs };
}
