import { ArbiterError } from '../core/errors.js';
import { parsePurl, purlMatches } from './purl.js';

/**
 * VEX (Vulnerability Exploitability eXchange): statements that a product is not affected by a
 * vulnerability, and why. Read from CycloneDX (`vulnerabilities[].analysis`, the same shape a
 * CycloneDX SBOM may embed) and OpenVEX (`statements[]`, v0.0.1 and v0.2.0). Pure.
 */

/** The states that mean "this finding does not apply here". */
const suppressing: ReadonlySet<string> = new Set([
  'not_affected',
  'false_positive',
  'resolved',
  'resolved_with_pedigree',
  'fixed',
]);

/** The `analysis.state` values CycloneDX defines (1.4 to 1.7); anything else is refused. */
export const cycloneDxAnalysisStates = [
  'resolved',
  'resolved_with_pedigree',
  'exploitable',
  'in_triage',
  'false_positive',
  'not_affected',
] as const;

/** The statuses OpenVEX defines; anything else is refused. */
export const openVexStatuses = ['not_affected', 'affected', 'fixed', 'under_investigation'] as const;

/** The OpenVEX `@context` values read: v0.0.1 (also written without a version) and v0.2.0. */
export const openVexContexts = [
  'https://openvex.dev/ns',
  'https://openvex.dev/ns/v0.0.1',
  'https://openvex.dev/ns/v0.2.0',
] as const;

/**
 * Why a CycloneDX `analysis.state` is not one CycloneDX defines, or undefined when it is. A typo
 * (`not-affected`) must not become a statement that silently never suppresses or, worse, does.
 */
export function analysisStateProblem(state: string, where: string): string | undefined {
  return (cycloneDxAnalysisStates as readonly string[]).includes(state)
    ? undefined
    : `${where} ${JSON.stringify(state)} is not one of ${cycloneDxAnalysisStates.join(', ')}`;
}

/** True for a VEX (or CycloneDX analysis) state that says a finding does not apply. */
export const isSuppressingState = (state: string) => suppressing.has(state);

export interface VexStatement {
  /** The file it was read from, as shown. */
  file: string;
  format: 'cyclonedx' | 'openvex';
  vulnerability: string;
  aliases: string[];
  /**
   * What it is about: purls or bom-refs. Empty means every package (a statement about the
   * release as a whole).
   */
  products: string[];
  /** The state as written: `not_affected`, `false_positive`, `resolved`, `fixed`, `affected`… */
  status: string;
  /** True for states that suppress a finding. */
  suppresses: boolean;
  justification?: string;
  detail?: string;
}

/** What a statement is matched against: a finding's vulnerability ids and the package it is in. */
export interface VexSubject {
  ids: readonly string[];
  package?: { name: string; version?: string; purl?: string; refs?: readonly string[] };
}

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const text = (value: unknown): string | undefined =>
  typeof value === 'string' && value.trim() !== '' ? value : undefined;

function fail(file: string, message: string): never {
  throw new ArbiterError('ARB_ERR_INPUT_INVALID', `${file}: ${message}`, {
    details: { file, format: 'vex' },
  });
}

/** A BOM-Link (`urn:cdx:serial/1#ref`) names the ref after `#`; anything else is the ref itself. */
function refOf(ref: string): string {
  if (!ref.startsWith('urn:cdx:')) return ref;
  const hash = ref.indexOf('#');
  if (hash < 0) return ref;
  try {
    return decodeURIComponent(ref.slice(hash + 1));
  } catch {
    return ref.slice(hash + 1);
  }
}

/** CycloneDX: each vulnerability with an `analysis.state` is a statement about its `affects`. */
export function cycloneDxStatements(file: string, bom: Json): VexStatement[] {
  const list = bom.vulnerabilities;
  if (list === undefined) return [];
  if (!Array.isArray(list)) fail(file, '"vulnerabilities" must be an array');
  const out: VexStatement[] = [];
  list.forEach((entry, i) => {
    if (!isObject(entry)) fail(file, `vulnerabilities[${i}] is not an object`);
    const analysis = entry.analysis;
    if (analysis === undefined) return;
    const id = text(entry.id);
    if (!id) fail(file, `vulnerabilities[${i}].id is missing`);
    if (!isObject(analysis) || !text(analysis.state))
      fail(file, `vulnerabilities[${i}].analysis.state is missing`);
    const state = String(analysis.state);
    const problem = analysisStateProblem(state, `vulnerabilities[${i}].analysis.state`);
    if (problem) fail(file, problem);
    const references = Array.isArray(entry.references) ? entry.references.filter(isObject) : [];
    const affects = Array.isArray(entry.affects) ? entry.affects.filter(isObject) : [];
    const justification = text(analysis.justification);
    const detail = text(analysis.detail);
    out.push({
      file,
      format: 'cyclonedx',
      vulnerability: id,
      aliases: references.flatMap((reference) => (text(reference.id) ? [String(reference.id)] : [])),
      products: affects.flatMap((affect) => (text(affect.ref) ? [refOf(String(affect.ref))] : [])),
      status: state,
      suppresses: suppressing.has(state),
      ...(justification ? { justification } : {}),
      ...(detail ? { detail } : {}),
    });
  });
  return out;
}

/**
 * An OpenVEX product: a string (v0.0.1) or `{ "@id", identifiers: { purl }, subcomponents }`. With
 * subcomponents, the statement is about those packages inside the product. Walked with an explicit
 * stack, in document order.
 */
function productIds(products: readonly unknown[]): string[] {
  const out: string[] = [];
  const stack = [...products].reverse();
  while (stack.length > 0) {
    const product = stack.pop();
    if (typeof product === 'string') {
      out.push(product);
      continue;
    }
    if (!isObject(product)) continue;
    const subcomponents = Array.isArray(product.subcomponents) ? product.subcomponents : [];
    if (subcomponents.length > 0) {
      for (let i = subcomponents.length - 1; i >= 0; i--) stack.push(subcomponents[i]);
      continue;
    }
    const identifiers = isObject(product.identifiers) ? product.identifiers : {};
    for (const id of [text(product['@id']), text(identifiers.purl)]) if (id !== undefined) out.push(id);
  }
  return out;
}

/** OpenVEX: `statements[]` with `vulnerability`, `products`, `status` and `justification`. */
export function openVexStatements(file: string, document: Json): VexStatement[] {
  if (!Array.isArray(document.statements)) fail(file, 'an OpenVEX document needs a "statements" array');
  return document.statements.map((statement, i) => {
    if (!isObject(statement)) fail(file, `statements[${i}] is not an object`);
    const vulnerability = statement.vulnerability;
    const name = isObject(vulnerability)
      ? (text(vulnerability.name) ?? text(vulnerability['@id']))
      : text(vulnerability);
    if (!name) fail(file, `statements[${i}].vulnerability names no vulnerability`);
    const status = text(statement.status);
    if (!status) fail(file, `statements[${i}].status is missing`);
    if (!(openVexStatuses as readonly string[]).includes(status))
      fail(
        file,
        `statements[${i}].status ${JSON.stringify(status)} is not one of ${openVexStatuses.join(', ')}`,
      );
    const aliases =
      isObject(vulnerability) && Array.isArray(vulnerability.aliases)
        ? vulnerability.aliases.filter((a): a is string => typeof a === 'string')
        : [];
    const products = [
      ...productIds(Array.isArray(statement.products) ? statement.products : []),
      ...productIds(Array.isArray(statement.subcomponents) ? statement.subcomponents : []),
    ];
    const justification = text(statement.justification);
    const detail = text(statement.impact_statement) ?? text(statement.status_notes);
    return {
      file,
      format: 'openvex' as const,
      vulnerability: name,
      aliases,
      products,
      status,
      suppresses: suppressing.has(status),
      ...(justification ? { justification } : {}),
      ...(detail ? { detail } : {}),
    };
  });
}

/** Reads a VEX document of either kind; anything else is ARB_ERR_INPUT_INVALID naming the file. */
export function parseVex(file: string, value: unknown): VexStatement[] {
  if (!isObject(value)) fail(file, 'not a VEX document (expected a JSON object)');
  if (value.bomFormat === 'CycloneDX') return cycloneDxStatements(file, value);
  const context = value['@context'];
  if (typeof context === 'string' && context.includes('openvex')) {
    if (!(openVexContexts as readonly string[]).includes(context.replace(/\/+$/, '')))
      fail(
        file,
        `@context ${JSON.stringify(context)} is not an OpenVEX version Arbiter reads (${openVexContexts.join(', ')})`,
      );
    return openVexStatements(file, value);
  }
  return fail(
    file,
    'not a VEX document: expected CycloneDX ("bomFormat": "CycloneDX") or OpenVEX ("@context": "https://openvex.dev/ns/…")',
  );
}

function productMatches(product: string, pkg: NonNullable<VexSubject['package']>): boolean {
  if (pkg.refs?.includes(product) || pkg.purl === product) return true;
  const pattern = parsePurl(product);
  if (!pattern) return false;
  const candidate = pkg.purl ? parsePurl(pkg.purl) : undefined;
  if (candidate) return purlMatches(pattern, candidate);
  // A finding that names only a package (Trivy's SARIF): compare name and version.
  return (
    pattern.name.toLowerCase() === pkg.name.toLowerCase() &&
    (pattern.version === undefined || pattern.version === pkg.version)
  );
}

/**
 * The statement that decides a finding: the last one (in file order, files in the order given)
 * naming one of its ids and its package, as later OpenVEX statements supersede earlier ones.
 * A statement without products applies to every package.
 */
export function vexStatementFor(
  statements: readonly VexStatement[],
  subject: VexSubject,
): VexStatement | undefined {
  const ids = new Set(subject.ids.map((id) => id.toUpperCase()));
  let decision: VexStatement | undefined;
  for (const statement of statements) {
    const named = [statement.vulnerability, ...statement.aliases].some((id) => ids.has(id.toUpperCase()));
    if (!named) continue;
    const pkg = subject.package;
    if (
      statement.products.length === 0 ||
      (pkg !== undefined && statement.products.some((product) => productMatches(product, pkg)))
    )
      decision = statement;
  }
  return decision;
}
