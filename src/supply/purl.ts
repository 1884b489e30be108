import { normalizePypiName } from './lockfiles.js';

/**
 * Package URLs (https://github.com/package-url/purl-spec), parsed just far enough to tell whether
 * two tools mean the same package. Qualifiers (`?arch=amd64&package-id=…`) and subpaths differ
 * between tools that describe one package, so identity ignores them.
 */
export interface Purl {
  type: string;
  namespace?: string;
  name: string;
  version?: string;
}

/** Parses `pkg:type/namespace/name@version?qualifiers#subpath`; undefined when it is not a purl. */
export function parsePurl(text: string): Purl | undefined {
  if (!text.startsWith('pkg:')) return undefined;
  const body = text.slice(4).replace(/^\/+/, '').split('#')[0]?.split('?')[0] ?? '';
  const at = body.lastIndexOf('@');
  // An npm scope is written %40scope, so a literal '@' before the last '/' is not a version.
  const hasVersion = at > body.lastIndexOf('/');
  const path = hasVersion ? body.slice(0, at) : body;
  const segments = path.split('/').filter((segment) => segment !== '');
  if (segments.length < 2) return undefined;
  const decode = (segment: string) => {
    try {
      return decodeURIComponent(segment);
    } catch {
      return segment;
    }
  };
  const type = decode(segments[0] ?? '').toLowerCase();
  const name = decode(segments[segments.length - 1] ?? '');
  const namespace = segments.slice(1, -1).map(decode).join('/');
  return {
    type,
    ...(namespace ? { namespace } : {}),
    name,
    ...(hasVersion ? { version: decode(body.slice(at + 1)) } : {}),
  };
}

/** The name as the package's ecosystem compares names (PyPI per PEP 503; npm and others case-insensitively). */
function comparableName(type: string, name: string): string {
  return type === 'pypi' ? normalizePypiName(name) : name.toLowerCase();
}

/**
 * The identity of a package, without qualifiers or subpath: `pypi//requests@2.31.0`. Two purls with
 * the same key name the same package version.
 */
export function purlKey(purl: Purl): string {
  return `${purl.type}/${(purl.namespace ?? '').toLowerCase()}/${comparableName(purl.type, purl.name)}@${purl.version ?? ''}`;
}

/**
 * Whether `pattern` (a purl, possibly without a version) names `candidate`: same type, namespace
 * and name, and the same version when the pattern gives one.
 */
export function purlMatches(pattern: Purl, candidate: Purl): boolean {
  return (
    pattern.type === candidate.type &&
    (pattern.namespace ?? '').toLowerCase() === (candidate.namespace ?? '').toLowerCase() &&
    comparableName(pattern.type, pattern.name) === comparableName(candidate.type, candidate.name) &&
    (pattern.version === undefined || pattern.version === candidate.version)
  );
}

/** The ecosystem Arbiter's OSV matching knows a purl type as; undefined for others (deb, apk, …). */
export function osvEcosystemOf(purl: Purl): 'npm' | 'PyPI' | undefined {
  return purl.type === 'npm' ? 'npm' : purl.type === 'pypi' ? 'PyPI' : undefined;
}
