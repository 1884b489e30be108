import { bomProperty } from './bom.js';

/**
 * What changed between two CycloneDX BOMs: components added and removed, version, licence and
 * hash changes, and the changes a reviewer must look at — a model or dataset whose bytes changed
 * without a new signature, or a package whose bytes changed under the same version.
 */

export interface ComponentSummary {
  /** Identity across versions: the purl without its version, or the bom-ref of a model or dataset. */
  key: string;
  type: string;
  name: string;
  version?: string;
  hashes: string[];
  licenses: string[];
  signature?: string;
}

export interface ComponentChange {
  key: string;
  type: string;
  name: string;
  changes: ('version' | 'hash' | 'license')[];
  from: ComponentSummary;
  to: ComponentSummary;
}

export interface Suspicious {
  key: string;
  type: string;
  name: string;
  reason: string;
}

export interface BomDiff {
  added: ComponentSummary[];
  removed: ComponentSummary[];
  changed: ComponentChange[];
  suspicious: Suspicious[];
}

interface RawComponent {
  type?: string;
  'bom-ref'?: string;
  group?: string;
  name?: string;
  version?: string;
  purl?: string;
  hashes?: { alg?: string; content?: string }[];
  licenses?: { license?: { id?: string; name?: string }; expression?: string }[];
  properties?: { name?: string; value?: string }[];
  components?: RawComponent[];
}

const withoutVersion = (purl: string) => {
  const at = purl.lastIndexOf('@');
  return at > purl.lastIndexOf('/') ? purl.slice(0, at) : purl.replace(/[?#].*$/, '');
};

function summarise(component: RawComponent): ComponentSummary {
  const type = component.type ?? 'library';
  const name = component.group ? `${component.group}/${component.name ?? ''}` : (component.name ?? '');
  const key = component.purl
    ? withoutVersion(component.purl)
    : type === 'machine-learning-model' || type === 'data'
      ? (component['bom-ref'] ?? `${type}:${name}`)
      : `${type}:${name}`;
  const signature = component.properties?.find((p) => p.name === bomProperty.signatureSha256)?.value;
  return {
    key,
    type,
    name,
    ...(component.version ? { version: component.version } : {}),
    hashes: (component.hashes ?? []).map((hash) => `${hash.alg}:${hash.content}`).sort(),
    licenses: (component.licenses ?? [])
      .map((entry) => entry.expression ?? entry.license?.id ?? entry.license?.name ?? '')
      .filter((text) => text !== '')
      .sort(),
    ...(signature ? { signature } : {}),
  };
}

/** Every component of a BOM, nested ones included; one entry per identity and version. */
export function bomComponents(bom: unknown): ComponentSummary[] {
  const out = new Map<string, ComponentSummary>();
  const walk = (components: RawComponent[] | undefined) => {
    for (const component of components ?? []) {
      const summary = summarise(component);
      out.set(`${summary.key}\0${summary.version ?? ''}`, summary);
      walk(component.components);
    }
  };
  walk((bom as { components?: RawComponent[] }).components);
  return [...out.values()];
}

/** Components grouped by identity (a package at two versions is one identity with two entries). */
function byIdentity(components: readonly ComponentSummary[]): Map<string, ComponentSummary[]> {
  const groups = new Map<string, ComponentSummary[]>();
  for (const component of components) {
    const group = groups.get(component.key);
    if (group) group.push(component);
    else groups.set(component.key, [component]);
  }
  return groups;
}

/**
 * Pairs the versions of one identity: equal versions pair up; a component with one version on each
 * side whose version differs was upgraded (or downgraded); when either side holds several versions,
 * each version that appears or disappears is added or removed. The pairing depends only on the versions, never on the order of the BOM.
 */
function pairVersions(
  before: readonly ComponentSummary[],
  after: readonly ComponentSummary[],
): { pairs: [ComponentSummary, ComponentSummary][]; added: ComponentSummary[]; removed: ComponentSummary[] } {
  const version = (c: ComponentSummary) => c.version ?? '';
  const afterVersions = new Set(after.map(version));
  const beforeVersions = new Set(before.map(version));
  const pairs: [ComponentSummary, ComponentSummary][] = [];
  for (const from of before) {
    const to = after.find((c) => version(c) === version(from));
    if (to) pairs.push([from, to]);
  }
  const removed = before.filter((c) => !afterVersions.has(version(c)));
  const added = after.filter((c) => !beforeVersions.has(version(c)));
  if (before.length === 1 && after.length === 1 && removed.length === 1)
    return { pairs: [...pairs, [removed[0]!, added[0]!]], added: [], removed: [] };
  return { pairs, added, removed };
}

const same = (a: readonly string[], b: readonly string[]) =>
  a.length === b.length && a.every((x, i) => x === b[i]);

/** Records what changed between two entries of one identity, and whether a reviewer must look. */
function compare(key: string, from: ComponentSummary, to: ComponentSummary, diff: BomDiff): void {
  const changes: ComponentChange['changes'] = [];
  if (from.version !== to.version) changes.push('version');
  // Only compare hashes both sides record; a BOM that drops a hash algorithm is not a content change.
  const shared = (summary: ComponentSummary, other: ComponentSummary) =>
    summary.hashes.filter((hash) => other.hashes.some((x) => x.split(':')[0] === hash.split(':')[0]));
  if (!same(shared(from, to), shared(to, from))) changes.push('hash');
  if (!same(from.licenses, to.licenses)) changes.push('license');
  if (changes.length === 0) return;
  diff.changed.push({ key, type: to.type, name: to.name, changes, from, to });
  if (!changes.includes('hash')) return;
  const isArtifact = to.type === 'machine-learning-model' || to.type === 'data';
  if (isArtifact && (!to.signature || to.signature === from.signature)) {
    diff.suspicious.push({
      key,
      type: to.type,
      name: to.name,
      reason: to.signature
        ? 'content hash changed but the signature is the one the previous version had'
        : 'content hash changed and no signature covers the new content',
    });
  } else if (!isArtifact && !changes.includes('version')) {
    diff.suspicious.push({
      key,
      type: to.type,
      name: to.name,
      reason: `content hash changed under the same version ${to.version ?? ''}`.trim(),
    });
  }
}

/** What changed from `before` to `after` (both CycloneDX BOMs), in a stable order. */
export function diffBoms(before: unknown, after: unknown): BomDiff {
  const old = byIdentity(bomComponents(before));
  const current = byIdentity(bomComponents(after));
  const diff: BomDiff = { added: [], removed: [], changed: [], suspicious: [] };
  for (const key of new Set([...old.keys(), ...current.keys()])) {
    const { pairs, added, removed } = pairVersions(old.get(key) ?? [], current.get(key) ?? []);
    diff.added.push(...added);
    diff.removed.push(...removed);
    for (const [from, to] of pairs) compare(key, from, to, diff);
  }
  const byKey = (a: { key: string; version?: string }, b: { key: string; version?: string }) =>
    a.key.localeCompare(b.key) || (a.version ?? '').localeCompare(b.version ?? '', 'en', { numeric: true });
  diff.added.sort(byKey);
  diff.removed.sort(byKey);
  diff.changed.sort((a, b) => byKey(a.to, b.to));
  diff.suspicious.sort((a, b) => a.key.localeCompare(b.key) || a.reason.localeCompare(b.reason));
  return diff;
}
