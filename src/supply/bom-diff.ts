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

/** Every component of a BOM, nested ones included, keyed by identity. */
export function bomComponents(bom: unknown): Map<string, ComponentSummary> {
  const out = new Map<string, ComponentSummary>();
  const walk = (components: RawComponent[] | undefined) => {
    for (const component of components ?? []) {
      const summary = summarise(component);
      out.set(summary.key, summary);
      walk(component.components);
    }
  };
  walk((bom as { components?: RawComponent[] }).components);
  return out;
}

const same = (a: readonly string[], b: readonly string[]) =>
  a.length === b.length && a.every((x, i) => x === b[i]);

export function diffBoms(before: unknown, after: unknown): BomDiff {
  const old = bomComponents(before);
  const current = bomComponents(after);
  const diff: BomDiff = { added: [], removed: [], changed: [], suspicious: [] };
  for (const [key, to] of current) {
    const from = old.get(key);
    if (!from) {
      diff.added.push(to);
      continue;
    }
    const changes: ComponentChange['changes'] = [];
    if (from.version !== to.version) changes.push('version');
    // Only compare hashes both sides record; a BOM that drops a hash algorithm is not a content change.
    const shared = (summary: ComponentSummary, other: ComponentSummary) =>
      summary.hashes.filter((hash) => other.hashes.some((x) => x.split(':')[0] === hash.split(':')[0]));
    if (!same(shared(from, to), shared(to, from))) changes.push('hash');
    if (!same(from.licenses, to.licenses)) changes.push('license');
    if (changes.length === 0) continue;
    diff.changed.push({ key, type: to.type, name: to.name, changes, from, to });
    if (!changes.includes('hash')) continue;
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
  for (const [key, from] of old) if (!current.has(key)) diff.removed.push(from);
  const byKey = (a: { key: string }, b: { key: string }) => a.key.localeCompare(b.key);
  diff.added.sort(byKey);
  diff.removed.sort(byKey);
  diff.changed.sort(byKey);
  diff.suspicious.sort(byKey);
  return diff;
}
