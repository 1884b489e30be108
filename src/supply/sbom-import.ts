import { ArbiterError } from '../core/errors.js';
import type { JsonObject, JsonValue } from '../core/json.js';
import { osvEcosystemOf, parsePurl, purlKey } from './purl.js';
import { analysisStateProblem } from './vex.js';

/**
 * CycloneDX SBOMs written by other tools (Syft, Trivy, cdxgen… spec 1.2–1.7), read leniently: it
 * must be CycloneDX JSON with well-formed components and vulnerabilities, but it is not validated
 * against one schema version, because a 1.4 or 1.5 document does not pass the 1.6 schema Arbiter
 * writes. Its components are merged into the AI-BOM (deduplicated by purl) and its
 * vulnerabilities join the gate's. Pure.
 */

export interface SbomPackage {
  name: string;
  version?: string;
  purl?: string;
  /** The component's bom-ref in its own SBOM (what that SBOM's vulnerabilities and VEX refer to). */
  ref?: string;
  type: string;
  /** Set for purl types Arbiter matches against OSV (npm, PyPI). */
  ecosystem?: 'npm' | 'PyPI';
}

export interface SbomVulnerability {
  id: string;
  aliases: string[];
  summary: string;
  severity: 'low' | 'medium' | 'high' | 'critical' | 'unknown';
  url?: string;
  fixedIn?: string;
  /** The packages it affects (resolved from `affects[].ref`). */
  packages: SbomPackage[];
  /** A CycloneDX `analysis` the SBOM carries (embedded VEX). */
  analysis?: { state: string; justification?: string; detail?: string };
  /** The entry as written, for the merged BOM. */
  entry: JsonObject;
}

export interface ImportedSbom {
  /** The file, as shown. */
  file: string;
  specVersion: string;
  /** `syft 1.18.1`, from the SBOM's metadata.tools (either the 1.4 list or the 1.5+ object). */
  tool: string;
  /** Every component, nested ones flattened. */
  components: JsonObject[];
  packages: SbomPackage[];
  vulnerabilities: SbomVulnerability[];
}

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const text = (value: unknown): string | undefined =>
  typeof value === 'string' && value.trim() !== '' ? value : undefined;

function fail(file: string, message: string): never {
  throw new ArbiterError('ARB_ERR_INPUT_INVALID', `${file}: ${message}`, {
    details: { file, format: 'cyclonedx' },
  });
}

function toolOf(metadata: unknown): string {
  if (!isObject(metadata)) return 'unknown';
  const tools = metadata.tools;
  const list = Array.isArray(tools)
    ? tools
    : isObject(tools)
      ? [
          ...(Array.isArray(tools.components) ? tools.components : []),
          ...(Array.isArray(tools.services) ? tools.services : []),
        ]
      : [];
  const first = list.find((tool) => isObject(tool) && text(tool.name));
  if (!isObject(first)) return 'unknown';
  return [text(first.name), text(first.version)].filter(Boolean).join(' ');
}

/**
 * Every component, each followed by its nested ones (depth first, in file order). Walks with an
 * explicit stack of the lists being read, so components nested 20,000 deep cannot overflow the
 * call stack.
 */
function flatten(file: string, list: unknown, out: Json[]): void {
  const stack: { list: unknown[]; path: string; next: number }[] = [];
  const enter = (value: unknown, path: string) => {
    if (value === undefined) return;
    if (!Array.isArray(value)) fail(file, `${path} must be an array`);
    stack.push({ list: value, path, next: 0 });
  };
  enter(list, 'components');
  while (stack.length > 0) {
    const top = stack[stack.length - 1] as (typeof stack)[number];
    if (top.next >= top.list.length) {
      stack.pop();
      continue;
    }
    const i = top.next++;
    const component = top.list[i];
    const where = `${top.path}[${i}]`;
    if (!isObject(component)) fail(file, `${where} is not an object`);
    if (!text(component.name)) fail(file, `${where} has no "name"`);
    if (!text(component.type)) fail(file, `${where} has no "type"`);
    out.push(component);
    enter(component.components, `${where}.components`);
  }
}

const ratingRank = { unknown: 0, none: 0, info: 1, low: 1, medium: 2, high: 3, critical: 4 } as const;

/** The highest rating any source gives (fail closed when sources disagree); scores map as CVSS does. */
function severityOf(ratings: unknown): SbomVulnerability['severity'] {
  let best: SbomVulnerability['severity'] = 'unknown';
  const rank = (s: string) => ratingRank[s as keyof typeof ratingRank] ?? 0;
  for (const rating of Array.isArray(ratings) ? ratings.filter(isObject) : []) {
    let severity = text(rating.severity)?.toLowerCase();
    if ((!severity || severity === 'unknown') && typeof rating.score === 'number')
      severity =
        rating.score >= 9 ? 'critical' : rating.score >= 7 ? 'high' : rating.score >= 4 ? 'medium' : 'low';
    if (!severity || rank(severity) === 0) continue;
    const mapped = severity === 'info' ? 'low' : (severity as SbomVulnerability['severity']);
    if (rank(mapped) > rank(best)) best = mapped;
  }
  return best;
}

function packageOf(component: Json): SbomPackage {
  const purlText = text(component.purl);
  const purl = purlText ? parsePurl(purlText) : undefined;
  const ecosystem = purl ? osvEcosystemOf(purl) : undefined;
  const group = text(component.group);
  const name = String(component.name);
  const version = text(component.version);
  const ref = text(component['bom-ref']);
  return {
    // npm scopes and Maven groups are part of the name a user knows the package by.
    name: ecosystem === 'npm' && group ? `${group}/${name}` : name,
    ...(version ? { version } : {}),
    ...(purlText ? { purl: purlText } : {}),
    ...(ref ? { ref } : {}),
    type: String(component.type),
    ...(ecosystem ? { ecosystem } : {}),
  };
}

/** Reads a CycloneDX JSON SBOM; what is not one is ARB_ERR_INPUT_INVALID naming the file and field. */
export function readCycloneDx(file: string, value: unknown): ImportedSbom {
  if (!isObject(value) || value.bomFormat !== 'CycloneDX')
    fail(file, 'not a CycloneDX JSON document ("bomFormat": "CycloneDX" is missing)');
  const specVersion = text(value.specVersion);
  if (!specVersion || !/^1\.[2-7]$/.test(specVersion))
    fail(
      file,
      `CycloneDX specVersion ${JSON.stringify(value.specVersion ?? null)} is not supported (1.2 to 1.7)`,
    );
  const components: Json[] = [];
  flatten(file, value.components, components);
  const packages = components.map(packageOf);
  const byRef = new Map(packages.flatMap((pkg) => (pkg.ref ? [[pkg.ref, pkg] as const] : [])));
  const byPurl = new Map(packages.flatMap((pkg) => (pkg.purl ? [[pkg.purl, pkg] as const] : [])));
  if (value.vulnerabilities !== undefined && !Array.isArray(value.vulnerabilities))
    fail(file, '"vulnerabilities" must be an array');
  const vulnerabilities = (Array.isArray(value.vulnerabilities) ? value.vulnerabilities : []).map(
    (entry: unknown, i: number): SbomVulnerability => {
      if (!isObject(entry)) fail(file, `vulnerabilities[${i}] is not an object`);
      const id = text(entry.id);
      if (!id) fail(file, `vulnerabilities[${i}] has no "id"`);
      const affects = Array.isArray(entry.affects) ? entry.affects.filter(isObject) : [];
      const affected = affects.flatMap((affect) => {
        const ref = text(affect.ref);
        const pkg = ref ? (byRef.get(ref) ?? byPurl.get(ref)) : undefined;
        return pkg ? [pkg] : [];
      });
      const references = Array.isArray(entry.references) ? entry.references.filter(isObject) : [];
      const advisories = Array.isArray(entry.advisories) ? entry.advisories.filter(isObject) : [];
      const source = isObject(entry.source) ? entry.source : {};
      const url = text(source.url) ?? text(advisories[0]?.url);
      const analysis = isObject(entry.analysis) ? entry.analysis : undefined;
      const state = text(analysis?.state);
      const stateProblem = state && analysisStateProblem(state, `vulnerabilities[${i}].analysis.state`);
      if (stateProblem) fail(file, stateProblem);
      const justification = text(analysis?.justification);
      const detail = text(analysis?.detail);
      const recommendation = text(entry.recommendation);
      const fixedIn = recommendation
        ? /(?:upgrade|update)(?: \S+)? to (?:version )?(\S+)/i.exec(recommendation)?.[1]
        : undefined;
      return {
        id,
        aliases: references.flatMap((reference) => (text(reference.id) ? [String(reference.id)] : [])),
        summary: (text(entry.description) ?? text(entry.detail) ?? '').split('\n')[0] ?? '',
        severity: severityOf(entry.ratings),
        ...(url ? { url } : {}),
        ...(fixedIn ? { fixedIn: fixedIn.replace(/[.,;]$/, '') } : {}),
        packages: affected,
        ...(state
          ? {
              analysis: { state, ...(justification ? { justification } : {}), ...(detail ? { detail } : {}) },
            }
          : {}),
        entry: entry as JsonObject,
      };
    },
  );
  return {
    file,
    specVersion,
    tool: toolOf(value.metadata),
    components: components as JsonObject[],
    packages,
    vulnerabilities,
  };
}

/** Arbiter's property naming where a merged component came from. */
export const sbomSourceProperty = 'arbiter:sbom:source';

/** Fields of a component that mean the same from CycloneDX 1.2 to 1.6, so the merged BOM stays valid 1.6. */
const keptFields = [
  'type',
  'group',
  'name',
  'version',
  'description',
  'purl',
  'cpe',
  'licenses',
  'hashes',
  'copyright',
] as const;

function identity(component: Json): string {
  const purlText = text(component.purl);
  const purl = purlText ? parsePurl(purlText) : undefined;
  if (purl) return `purl:${purlKey(purl)}`;
  return `component:${String(component.type)}|${text(component.group) ?? ''}|${String(component.name)}|${text(component.version) ?? ''}`;
}

function properties(component: Json): JsonValue[] {
  return Array.isArray(component.properties)
    ? component.properties.filter(
        (p): p is JsonObject => isObject(p) && typeof p.name === 'string' && typeof p.value === 'string',
      )
    : [];
}

/**
 * Merges the SBOMs' components into `bom` (a copy is returned): a component whose purl (without
 * qualifiers) or, lacking one, type/group/name/version is already there is not added again, and
 * the existing one records the SBOM as a source. New components keep their fields that CycloneDX
 * 1.6 shares with earlier versions, and name their source in an `arbiter:sbom:source` property.
 * The SBOMs' vulnerabilities are added too, pointing at the merged components.
 */
export function mergeSboms(
  bom: JsonObject,
  sboms: readonly ImportedSbom[],
): { bom: JsonObject; added: number; duplicates: number } {
  const components = (Array.isArray(bom.components) ? bom.components : []).map((c) =>
    isObject(c) ? { ...c } : c,
  ) as JsonObject[];
  const byIdentity = new Map<string, JsonObject>();
  const refs = new Set<string>();
  for (const component of components) {
    byIdentity.set(identity(component), component);
    if (typeof component['bom-ref'] === 'string') refs.add(component['bom-ref']);
  }
  const vulnerabilities = [...(Array.isArray(bom.vulnerabilities) ? bom.vulnerabilities : [])];
  let added = 0;
  let duplicates = 0;
  for (const sbom of sboms) {
    const source = { name: sbomSourceProperty, value: `${sbom.tool} (${sbom.file})` };
    // Refs of this SBOM → refs in the merged BOM, for its vulnerabilities' `affects`.
    const refMap = new Map<string, string>();
    for (const component of sbom.components) {
      const key = identity(component);
      const originalRef = text(component['bom-ref']);
      const known = byIdentity.get(key);
      if (known) {
        duplicates++;
        const listed = properties(known);
        if (!listed.some((p) => isObject(p) && p.value === source.value))
          known.properties = [...listed, source];
        if (originalRef && typeof known['bom-ref'] === 'string') refMap.set(originalRef, known['bom-ref']);
        continue;
      }
      let ref = originalRef ?? text(component.purl) ?? `${sbom.file}#${added}`;
      for (let n = 2; refs.has(ref); n++) ref = `${originalRef ?? text(component.purl) ?? sbom.file}#${n}`;
      refs.add(ref);
      if (originalRef) refMap.set(originalRef, ref);
      const merged: JsonObject = { 'bom-ref': ref };
      for (const field of keptFields) if (component[field] !== undefined) merged[field] = component[field];
      merged.properties = [...properties(component), source];
      components.push(merged);
      byIdentity.set(key, merged);
      added++;
    }
    for (const vulnerability of sbom.vulnerabilities) {
      const affects = vulnerability.packages.flatMap((pkg) => {
        const ref = (pkg.ref && refMap.get(pkg.ref)) ?? (pkg.purl && refMap.get(pkg.purl));
        return ref ? [{ ref }] : [];
      });
      const { entry } = vulnerability;
      const kept: JsonObject = { id: vulnerability.id };
      for (const field of [
        'source',
        'references',
        'ratings',
        'cwes',
        'description',
        'recommendation',
        'advisories',
        'published',
        'updated',
      ] as const)
        if (entry[field] !== undefined) kept[field] = entry[field];
      if (affects.length > 0) kept.affects = affects;
      vulnerabilities.push(kept);
    }
  }
  return {
    bom: { ...bom, components, ...(vulnerabilities.length > 0 ? { vulnerabilities } : {}) },
    added,
    duplicates,
  };
}
