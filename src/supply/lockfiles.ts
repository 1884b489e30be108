import { parse as parseToml, TomlError } from 'smol-toml';

export type Ecosystem = 'npm' | 'PyPI';

export interface LockedPackage {
  ecosystem: Ecosystem;
  /** npm: full name incl. scope; PyPI: the name as written (normalised form in purl). */
  name: string;
  version: string;
  /** The licence as declared by the lockfile, when it records one (package-lock v2/v3 "license" field). */
  license?: string;
  /** Package URL (https://github.com/package-url/purl-spec), e.g. pkg:npm/%40scope/name@1.0.0. */
  purl: string;
  /** 'optional' for dev/optional dependencies, 'required' for everything else. */
  scope: 'required' | 'optional';
  /** Distinct SHA-256/SHA-512 hashes recorded by the lockfile, content as lowercase hex. */
  hashes: { alg: 'SHA-256' | 'SHA-512'; content: string }[];
  /** The lockfile it came from (as given to the parser). */
  source: string;
}

/** A lockfile that cannot be read; the message starts with `${file}:` (and `${line}:` where known). */
export class LockfileError extends Error {
  override name = 'LockfileError';
}

type Hash = LockedPackage['hashes'][number];
type Json = Record<string, unknown>;

/** True when the base name is one of the supported lockfiles. */
export function isLockfile(file: string): boolean {
  return kindOf(file) !== undefined;
}

function kindOf(file: string): 'npm' | 'requirements' | 'poetry' | 'uv' | undefined {
  // Either separator: callers pass paths as the platform writes them.
  const name = file.split(/[/\\]/).pop() ?? file;
  if (name === 'package-lock.json' || name === 'npm-shrinkwrap.json') return 'npm';
  if (name === 'poetry.lock') return 'poetry';
  if (name === 'uv.lock') return 'uv';
  if (/^requirements.*\.txt$/.test(name)) return 'requirements';
  return undefined;
}

/** Parses one file, detecting the kind by its base name. Sorted by ecosystem, name, version. */
export function parseLockfile(file: string, text: string): LockedPackage[] {
  const packages = new Packages(file);
  switch (kindOf(file)) {
    case 'npm':
      parseNpm(file, text, packages);
      break;
    case 'requirements':
      parseRequirements(text, packages);
      break;
    case 'poetry':
      parsePoetry(file, text, packages);
      break;
    case 'uv':
      parseUv(file, text, packages);
      break;
    default:
      throw new LockfileError(`${file}: not a supported lockfile`);
  }
  return packages.sorted();
}

// ---------------------------------------------------------------------------------------------
// Collecting: the same name@version found twice (nested node_modules, repeated pins) is one package.

class Packages {
  private readonly byKey = new Map<string, LockedPackage>();
  constructor(private readonly source: string) {}

  /** Merges repeats: required if any copy is, hashes unioned; the first licence stands (copies agree). */
  add(
    ecosystem: Ecosystem,
    name: string,
    version: string,
    optional: boolean,
    hashes: Hash[],
    license?: string,
    git?: GitSource,
  ) {
    const purl = git
      ? gitPurl(ecosystem, name, version, git)
      : ecosystem === 'npm'
        ? npmPurl(name, version)
        : pypiPurl(name, version);
    const known = this.byKey.get(purl);
    if (!known) {
      const pkg: LockedPackage = {
        ecosystem,
        name,
        version,
        purl,
        scope: optional ? 'optional' : 'required',
        hashes: [],
        source: this.source,
      };
      if (license) pkg.license = license;
      this.byKey.set(purl, pkg);
      addHashes(pkg.hashes, hashes);
      return;
    }
    // Needed at runtime anywhere means needed at runtime.
    if (!optional) known.scope = 'required';
    addHashes(known.hashes, hashes);
  }

  sorted(): LockedPackage[] {
    return [...this.byKey.values()].sort(
      (a, b) =>
        compare(a.ecosystem, b.ecosystem) ||
        compare(a.name.toLowerCase(), b.name.toLowerCase()) ||
        compare(a.name, b.name) ||
        versionOrder.compare(a.version, b.version) ||
        compare(a.version, b.version),
    );
  }
}

const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
// Numeric collation puts 1.2.0 before 1.10.0; the code-unit compare above breaks remaining ties.
const versionOrder = new Intl.Collator('en', { numeric: true });

function addHashes(into: Hash[], hashes: Hash[]): void {
  for (const hash of hashes) {
    if (!into.some((h) => h.alg === hash.alg && h.content === hash.content)) into.push(hash);
  }
}

// ---------------------------------------------------------------------------------------------
// Package URLs. The spec percent-encodes everything except unreserved characters; npm names and
// scopes are lowercased, PyPI names are lowercased with `-_.` runs turned into `-` (PEP 503).

const purlEncode = (s: string) =>
  encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

function npmPurl(name: string, version: string): string {
  const lower = name.toLowerCase();
  const slash = lower.startsWith('@') ? lower.indexOf('/') : -1;
  const path =
    slash > 0
      ? `${purlEncode(lower.slice(0, slash))}/${purlEncode(lower.slice(slash + 1))}`
      : purlEncode(lower);
  return `pkg:npm/${path}@${purlEncode(version)}`;
}

/** PEP 503 normalised PyPI name, as used in purls and vulnerability databases. */
export function normalizePypiName(name: string): string {
  return name.toLowerCase().replace(/[-_.]+/g, '-');
}

function pypiPurl(name: string, version: string): string {
  return `pkg:pypi/${purlEncode(normalizePypiName(name))}@${purlEncode(version)}`;
}

/** Where a package installed from a git repository came from: the repository and the commit. */
export interface GitSource {
  url: string;
  commit?: string;
}

/**
 * A git dependency's purl: `pkg:github/owner/repo@commit` for GitHub, as the purl spec's github type
 * names a repository; elsewhere the ecosystem's purl with a `vcs_url` qualifier (`git+https://…@commit`),
 * never a plain registry purl, which would name a release that was not installed.
 */
export function gitPurl(ecosystem: Ecosystem, name: string, version: string, git: GitSource): string {
  const url = git.url.replace(/^git\+/, '');
  const github =
    /^(?:https?:\/\/|ssh:\/\/)?(?:[^@/]+@)?github\.com[/:]([^/]+)\/([^/#?@]+?)(?:\.git)?(?:[/#?@].*)?$/i.exec(
      url,
    );
  if (github) {
    const owner = github[1]!.toLowerCase();
    const repo = github[2]!.toLowerCase();
    return `pkg:github/${purlEncode(owner)}/${purlEncode(repo)}${git.commit ? `@${purlEncode(git.commit)}` : ''}`;
  }
  const base = ecosystem === 'npm' ? npmPurl(name, version) : pypiPurl(name, version);
  const vcs = `git+${url.replace(/[#?].*$/, '')}${git.commit ? `@${git.commit}` : ''}`;
  return `${base}?vcs_url=${encodeURIComponent(vcs)}`;
}

/** A git URL as lockfiles write it (`git+https://host/repo.git#commit`, `…?rev=v1#commit`), split. */
function gitSourceOf(url: string, commit?: string): GitSource {
  const fragment = /#([0-9a-f]{7,40})$/i.exec(url)?.[1];
  const resolved = commit ?? fragment;
  return { url: url.replace(/#.*$/, ''), ...(resolved ? { commit: resolved } : {}) };
}

/** "sha256:abc…" (pip, poetry, uv) → a hash; other algorithms are ignored. */
function colonHash(text: unknown): Hash[] {
  if (typeof text !== 'string') return [];
  const match = /^(sha256|sha512):([0-9a-fA-F]+)$/.exec(text.trim());
  if (!match) return [];
  return [{ alg: match[1] === 'sha256' ? 'SHA-256' : 'SHA-512', content: match[2]!.toLowerCase() }];
}

// ---------------------------------------------------------------------------------------------
// npm: package-lock.json / npm-shrinkwrap.json

function parseNpm(file: string, text: string, out: Packages): void {
  let lock: unknown;
  try {
    lock = JSON.parse(text);
  } catch (error) {
    // V8 reports a character position; a line number is what a person can act on.
    const message = (error as Error).message;
    const position = /at position (\d+)/.exec(message)?.[1];
    const line = position === undefined ? '' : `${text.slice(0, Number(position)).split('\n').length}:`;
    throw new LockfileError(`${file}:${line} invalid JSON: ${message}`);
  }
  if (!isObject(lock)) throw new LockfileError(`${file}: expected a JSON object`);
  const version = lock.lockfileVersion;
  if (version === 2 || version === 3) {
    if (!isObject(lock.packages))
      throw new LockfileError(`${file}: lockfileVersion ${version} without "packages"`);
    for (const [path, entry] of Object.entries(lock.packages)) {
      // "" is the project itself; paths without node_modules/ are workspace sources, also ours.
      const at = path.lastIndexOf('node_modules/');
      if (at < 0 || !isObject(entry) || entry.link === true || typeof entry.version !== 'string') continue;
      // An aliased install ("node_modules/alias" → real package) records the real name in `name`.
      const name = typeof entry.name === 'string' ? entry.name : path.slice(at + 'node_modules/'.length);
      const license = typeof entry.license === 'string' ? entry.license : undefined;
      const resolved = typeof entry.resolved === 'string' ? entry.resolved : '';
      const git = /^git(\+|:)/.test(resolved) ? gitSourceOf(resolved) : undefined;
      out.add('npm', name, entry.version, npmOptional(entry), integrity(entry.integrity), license, git);
    }
  } else if (version === 1) {
    const walk = (deps: unknown): void => {
      if (!isObject(deps)) return;
      for (const [key, entry] of Object.entries(deps)) {
        if (!isObject(entry) || typeof entry.version !== 'string') continue;
        let name = key;
        let ver = entry.version;
        // v1 writes aliases as "npm:real-name@1.2.3".
        const alias = /^npm:(.+)@([^@]+)$/.exec(ver);
        if (alias) [name, ver] = [alias[1]!, alias[2]!];
        // Git, file: and URL dependencies have no registry version to name in a purl.
        if (!alias && /^[a-z+]+:/i.test(ver)) {
          walk(entry.dependencies);
          continue;
        }
        out.add('npm', name, ver, npmOptional(entry), integrity(entry.integrity));
        walk(entry.dependencies);
      }
    };
    walk(lock.dependencies);
  } else {
    throw new LockfileError(`${file}: unsupported lockfileVersion ${JSON.stringify(version)}`);
  }
}

const npmOptional = (entry: Json) =>
  entry.dev === true || entry.devOptional === true || entry.optional === true;

/** Subresource-integrity strings ("sha512-<base64> sha1-<base64>") → hex SHA-256/SHA-512. */
function integrity(value: unknown): Hash[] {
  if (typeof value !== 'string') return [];
  const hashes: Hash[] = [];
  for (const part of value.trim().split(/\s+/)) {
    const match = /^(sha256|sha512)-([A-Za-z0-9+/=]+)/.exec(part);
    if (!match) continue;
    const content = Buffer.from(match[2]!, 'base64').toString('hex');
    hashes.push({ alg: match[1] === 'sha256' ? 'SHA-256' : 'SHA-512', content });
  }
  return hashes;
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

// ---------------------------------------------------------------------------------------------
// pip requirements files. Only exact pins describe what gets installed; everything else is
// reported by unpinnedRequirements() so a caller can warn instead of guessing a version.

interface Requirement {
  name: string;
  version?: string;
  hashes: Hash[];
  git?: GitSource;
}

function parseRequirements(text: string, out: Packages): void {
  for (const req of requirementLines(text)) {
    // A requirements file does not say whether it is for development: all pins count as required.
    if (req.version !== undefined)
      out.add('PyPI', req.name, req.version, false, req.hashes, undefined, req.git);
  }
}

/**
 * Requirements that parseLockfile skipped because they are not exact pins: their names, or for
 * URLs, paths and editables the egg name or reference as written. Empty for other lockfiles.
 */
export function unpinnedRequirements(file: string, text: string): string[] {
  if (kindOf(file) !== 'requirements') return [];
  return requirementLines(text)
    .filter((req) => req.version === undefined)
    .map((req) => req.name);
}

function* logicalLines(text: string): Generator<string> {
  let pending = '';
  for (const raw of text.split(/\r?\n/)) {
    // pip treats "#" as a comment at the start or after whitespace ("…#egg=" in URLs survives).
    const line = raw.replace(/(^|\s)#.*$/, '');
    if (line.endsWith('\\')) {
      pending += `${line.slice(0, -1)} `;
      continue;
    }
    yield pending + line;
    pending = '';
  }
  if (pending) yield pending;
}

function requirementLines(text: string): Requirement[] {
  const reqs: Requirement[] = [];
  for (const logical of logicalLines(text)) {
    const line = logical.trim();
    if (!line) continue;
    if (line.startsWith('-')) {
      // -r/-c include other files and --index-url etc. configure pip: not requirements.
      // -e installs from a path or VCS URL, which has no version to pin.
      const editable = /^(?:-e|--editable)(?:\s+|=)(\S+)/.exec(line);
      if (editable) reqs.push({ name: eggName(editable[1]!) ?? editable[1]!, hashes: [] });
      continue;
    }
    // Per-requirement options (--hash, --config-settings) follow the requirement itself.
    const optionsAt = line.search(/\s--[a-z]/);
    const spec = optionsAt < 0 ? line : line.slice(0, optionsAt);
    const options = optionsAt < 0 ? '' : line.slice(optionsAt);
    const hashes = [...options.matchAll(/--hash[=\s]\s*(\S+)/g)].flatMap((m) => colonHash(m[1]));

    const match = /^([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)\s*(?:\[[^\]]*\])?\s*(.*)$/.exec(spec);
    if (match && match[2]!.startsWith('@')) {
      // "name @ git+https://…@<commit>" pins a commit: the commit is the version, the purl names the repository.
      const reference = match[2]!.slice(1).trim().split(';')[0]!.trim();
      const pinned = /^(git\+.+)@([0-9a-f]{40})(?:#.*)?$/i.exec(reference);
      if (pinned) {
        reqs.push({
          name: match[1]!,
          version: pinned[2]!,
          hashes,
          git: { url: pinned[1]!, commit: pinned[2]! },
        });
        continue;
      }
      // Any other "name @ https://…" is a direct reference, pinned to a URL rather than a version.
      reqs.push({ name: match[1]!, hashes: [] });
      continue;
    }
    if (!match || /[/\\]/.test(spec)) {
      // A bare URL or path: the name is unknown until pip builds it.
      reqs.push({ name: eggName(spec) ?? spec.split(/\s/)[0]!, hashes: [] });
      continue;
    }
    const name = match[1]!;
    // Drop environment markers; PEP 508 also allows the version part in parentheses.
    const versionPart = match[2]!
      .split(';')[0]!
      .trim()
      .replace(/^\((.*)\)$/, '$1')
      .trim();
    const pin = /^(===?)\s*([^\s,;]+)$/.exec(versionPart);
    // "==1.4.*" is a range, not a pin; "===" (arbitrary equality) pins whatever it says.
    const pinned = pin && (pin[1] === '===' || !pin[2]!.includes('*'));
    reqs.push(pinned ? { name, version: pin[2]!, hashes } : { name, hashes: [] });
  }
  return reqs;
}

const eggName = (ref: string) => /#(?:.*&)?egg=([A-Za-z0-9._-]+)/.exec(ref)?.[1];

// ---------------------------------------------------------------------------------------------
// TOML lockfiles: poetry.lock and uv.lock

function readToml(file: string, text: string): Json {
  try {
    return parseToml(text) as Json;
  } catch (error) {
    if (error instanceof TomlError) {
      // smol-toml appends a code excerpt after the first line; the line number says the same.
      throw new LockfileError(`${file}:${error.line}: invalid TOML: ${error.message.split('\n')[0]}`);
    }
    throw new LockfileError(`${file}: invalid TOML: ${(error as Error).message}`);
  }
}

const tables = (value: unknown): Json[] => (Array.isArray(value) ? value.filter(isObject) : []);

function parsePoetry(file: string, text: string, out: Packages): void {
  const lock = readToml(file, text);
  // Lock format 1.x kept file hashes apart, under [metadata.files] keyed by package name.
  const legacyFiles = isObject(lock.metadata) && isObject(lock.metadata.files) ? lock.metadata.files : {};
  for (const pkg of tables(lock.package)) {
    if (typeof pkg.name !== 'string' || typeof pkg.version !== 'string') continue;
    // Older locks say category = "dev"; newer ones list groups; only "main" is needed at runtime.
    const groups = Array.isArray(pkg.groups) ? pkg.groups : undefined;
    const optional =
      pkg.optional === true ||
      (groups ? !groups.includes('main') : typeof pkg.category === 'string' && pkg.category !== 'main');
    const files = [...tables(pkg.files), ...tables(legacyFiles[pkg.name])];
    // [package.source] type = "git", url, resolved_reference = the commit that was locked.
    const source = isObject(pkg.source) ? pkg.source : undefined;
    const git =
      source?.type === 'git' && typeof source.url === 'string'
        ? gitSourceOf(
            source.url,
            typeof source.resolved_reference === 'string' ? source.resolved_reference : undefined,
          )
        : undefined;
    out.add(
      'PyPI',
      pkg.name,
      pkg.version,
      optional,
      files.flatMap((f) => colonHash(f.hash)),
      undefined,
      git,
    );
  }
}

/**
 * uv.lock. Editable/virtual sources are the project (and its workspace members): not dependencies,
 * but the roots from which runtime dependencies are reached. A package reachable only through
 * dev-dependencies or the project's own optional-dependencies (extras) is optional.
 */
function parseUv(file: string, text: string, out: Packages): void {
  const lock = readToml(file, text);
  if (lock.version !== undefined && lock.version !== 1) {
    throw new LockfileError(`${file}: unsupported uv.lock version ${JSON.stringify(lock.version)}`);
  }
  const packages = tables(lock.package).filter(
    (p): p is Json & { name: string; version?: string } => typeof p.name === 'string',
  );
  const isProject = (p: Json) => isObject(p.source) && ('editable' in p.source || 'virtual' in p.source);

  // Walk runtime edges from the project. An edge names a version when several are locked, and
  // `extra = ["socks"]` on it also pulls in the target's optional-dependencies.socks.
  const required = new Set<Json>();
  const followed = new Set<string>();
  const follow = (edges: unknown): void => {
    for (const edge of tables(edges)) {
      packages.forEach((target, index) => {
        if (target.name !== edge.name) return;
        if (typeof edge.version === 'string' && target.version !== edge.version) return;
        const extras = isObject(target['optional-dependencies']) ? target['optional-dependencies'] : {};
        for (const extra of ['', ...(Array.isArray(edge.extra) ? edge.extra.map(String) : [])]) {
          if (followed.has(`${index}[${extra}]`)) continue;
          followed.add(`${index}[${extra}]`);
          required.add(target);
          follow(extra ? extras[extra] : target.dependencies);
        }
      });
    }
  };
  const roots = packages.filter(isProject);
  for (const root of roots) follow(root.dependencies);

  for (const pkg of packages) {
    if (isProject(pkg) || typeof pkg.version !== 'string') continue;
    const hashes = [
      ...colonHash(isObject(pkg.sdist) ? pkg.sdist.hash : undefined),
      ...tables(pkg.wheels).flatMap((w) => colonHash(w.hash)),
    ];
    // Without a project entry (e.g. a script lock) nothing tells dev from runtime: all required.
    const optional = roots.length > 0 && !required.has(pkg);
    // source = { git = "https://host/repo?rev=v1#<commit>" }
    const git =
      isObject(pkg.source) && typeof pkg.source.git === 'string' ? gitSourceOf(pkg.source.git) : undefined;
    out.add('PyPI', pkg.name, pkg.version, optional, hashes, undefined, git);
  }
}
