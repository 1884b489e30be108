import { compare as pep440Compare, explain as pep440Explain } from '@renovatebot/pep440';
import semver from 'semver';
import { defaultScanLimits } from './limits.js';
import type { RandomAccessReader } from './reader.js';
import { listZip, memberSource, ZipError, type ZipMember } from './zip.js';

/**
 * Offline matching of npm and PyPI packages against OSV records (https://ossf.github.io/osv-schema/),
 * loaded from a directory of JSON files, an osv.dev `all.zip` export or a single record. Records are
 * compacted and indexed by (ecosystem, normalised name) at load time; matching follows the schema's
 * evaluation algorithm (`IsVulnerable`) and never throws on bad data inside a record.
 */

export type Ecosystem = 'npm' | 'PyPI';
export type Severity = 'low' | 'medium' | 'high' | 'critical' | 'unknown';

export interface PackageRef {
  ecosystem: Ecosystem;
  name: string;
  version: string;
}

export interface OsvDatabase {
  /** The path it was loaded from. */
  source: string;
  /** Distinct records loaded (by id), withdrawn ones included. */
  records: number;
  /** How many of `records` are withdrawn; those never match. */
  withdrawn: number;
  /** The latest `modified` among records, as written: the database's age is now minus this. */
  newestModified?: string;
  /**
   * SHA-256 of what was read, so a gate run can pin it: of the file (a zip or one record), or for a
   * directory of the sorted lines `relative/path NUL sha256-of-file`.
   */
  sha256: string;
  /** Vulnerabilities affecting the package version, most severe first (withdrawn records never match). */
  match(pkg: PackageRef): VulnerabilityMatch[];
}

export interface VulnerabilityMatch {
  id: string;
  aliases: string[];
  summary: string;
  severity: Severity;
  /** The CVSS v3 base score computed from the record's vector, when it has one. */
  cvssScore?: number;
  package: PackageRef;
  /** The first fixed version above the installed one, when the record names one. */
  fixedIn?: string;
  /** Why it matched, e.g. "1.2.3 is in [introduced 1.0.0, fixed 1.2.5)" or "1.2.3 is listed in versions". */
  reason: string;
  url?: string;
}

export class OsvError extends Error {}

// ---------------------------------------------------------------------------------------------
// Version schemes

/** How one version syntax parses and orders; versions it cannot parse are skipped, never thrown on. */
interface Scheme<T> {
  parse(version: string): T | undefined;
  compare(a: T, b: T): number;
}

// Precedence comparison rather than range strings, so prereleases order like any other version.
const semverScheme: Scheme<semver.SemVer> = {
  parse: (version) => semver.parse(version) ?? undefined,
  compare: (a, b) => semver.compare(a, b),
};

const pep440Scheme: Scheme<string> = {
  parse: (version) => (pep440Explain(version) === null ? undefined : version),
  compare: (a, b) => pep440Compare(a, b),
};

/** A canonical string per equal version, so `versions` lists become set lookups ("1.0" == "1.0.0" in PEP 440). */
function versionKey(ecosystem: Ecosystem, version: string): string | undefined {
  if (ecosystem === 'npm') return semver.parse(version)?.version; // `.version` drops build metadata, as precedence does
  const v = pep440Explain(version);
  if (v === null) return undefined;
  const release = [...v.release];
  while (release.length > 1 && release[release.length - 1] === 0) release.pop();
  // explain() already normalises spellings (alpha → a, -post1 → post1, local separators → '.').
  return `${v.epoch}!${release.join('.')}|${v.pre?.join('') ?? ''}|${v.post ?? ''}|${v.dev ?? ''}+${v.local ?? ''}`;
}

/** A `versions` set member; raw strings get a prefix so an unparseable installed version equals only itself. */
function setKey(ecosystem: Ecosystem, version: string): string {
  return versionKey(ecosystem, version) ?? `raw:${version}`;
}

/** The index key for a package name: PEP 503 normalisation for PyPI, exact for npm. */
function packageKey(ecosystem: Ecosystem, name: string): string {
  const normalised = ecosystem === 'PyPI' ? name.toLowerCase().replace(/[-_.]+/g, '-') : name;
  return `${ecosystem}\0${normalised}`;
}

// ---------------------------------------------------------------------------------------------
// Ranges

interface Hit {
  reason: string;
  fixedIn?: string;
}

interface CompiledRange {
  test(version: string): Hit | undefined;
  nextFixed(version: string): string | undefined;
}

type EventKind = 'introduced' | 'fixed' | 'last_affected';
// A null key is "0" for `introduced` (before everything) and "*" for `limit` (infinity).
type Event<T> = { kind: EventKind; raw: string; key: T | null };
type Limit<T> = { raw: string; key: T | null };

/** Sorts a range's events once at load time, so testing a version is one linear pass. */
function compileRange<T>(scheme: Scheme<T>, rawEvents: unknown[]): CompiledRange {
  const events: Event<T>[] = [];
  const limits: Limit<T>[] = [];
  for (const item of rawEvents) {
    const event = asObject(item);
    if (!event) continue;
    for (const kind of ['introduced', 'fixed', 'last_affected', 'limit'] as const) {
      const raw = event[kind];
      if (typeof raw !== 'string') continue;
      if (kind === 'introduced' && raw === '0') events.push({ kind, raw, key: null });
      else if (kind === 'limit' && raw.includes('*')) limits.push({ raw, key: null });
      else {
        const key = scheme.parse(raw);
        if (key === undefined) continue;
        if (kind === 'limit') limits.push({ raw, key });
        else events.push({ kind, raw, key });
      }
    }
  }
  // Array#sort is stable, so events at the same version keep the record's order.
  events.sort((a, b) => {
    if (a.key === null || b.key === null) return (a.key === null ? -1 : 0) + (b.key === null ? 1 : 0);
    return scheme.compare(a.key, b.key);
  });
  const below = (v: T, key: T | null) => key !== null && scheme.compare(v, key) < 0;
  const nextFixed = (v: T) => events.find((event) => event.kind === 'fixed' && below(v, event.key))?.raw;

  const test = (version: string): Hit | undefined => {
    const v = scheme.parse(version);
    if (v === undefined) return undefined;
    if (limits.length > 0 && !limits.some((limit) => limit.key === null || below(v, limit.key)))
      return undefined;
    let open = -1; // index of the `introduced` event that currently makes v vulnerable
    events.forEach((event, i) => {
      if (event.kind === 'introduced') {
        if (!below(v, event.key)) open = i;
      } else if (event.kind === 'fixed') {
        if (!below(v, event.key)) open = -1;
      } else if (event.key !== null && scheme.compare(v, event.key) > 0) open = -1;
    });
    const start = events[open];
    if (!start) return undefined;
    const end = events.slice(open + 1).find((event) => event.kind !== 'introduced');
    const upper = end ? `${end.kind} ${end.raw}${end.kind === 'fixed' ? ')' : ']'}` : 'no fixed version)';
    const limit = limits.length > 0 ? ` below limit ${limits.map((l) => l.raw).join(' or ')}` : '';
    return { reason: `${version} is in [introduced ${start.raw}, ${upper}${limit}`, fixedIn: nextFixed(v) };
  };
  return {
    test,
    nextFixed(version) {
      const v = scheme.parse(version);
      return v === undefined ? undefined : nextFixed(v);
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Severity

const cvssAV: Record<string, number> = { N: 0.85, A: 0.62, L: 0.55, P: 0.2 };
const cvssAC: Record<string, number> = { L: 0.77, H: 0.44 };
const cvssUI: Record<string, number> = { N: 0.85, R: 0.62 };
const cvssCIA: Record<string, number> = { H: 0.56, L: 0.22, N: 0 };

/** The CVSS 3.0/3.1 base score of a vector (FIRST specification formulas), or undefined when malformed. */
export function cvss3BaseScore(vector: string): number | undefined {
  const [version, ...parts] = vector.trim().split('/');
  if (version !== 'CVSS:3.0' && version !== 'CVSS:3.1') return undefined;
  const metrics = new Map<string, string>();
  for (const part of parts) {
    const [name, value, extra] = part.split(':');
    if (!name || !value || extra !== undefined || metrics.has(name)) return undefined;
    metrics.set(name, value);
  }
  const scope = metrics.get('S');
  if (scope !== 'U' && scope !== 'C') return undefined;
  const changed = scope === 'C';
  // Privileges weigh more when the scope changes.
  const cvssPR: Record<string, number> = { N: 0.85, L: changed ? 0.68 : 0.62, H: changed ? 0.5 : 0.27 };
  const weight = (table: Record<string, number>, name: string) => table[metrics.get(name) ?? ''];
  const [av, ac, pr, ui, c, i, a] = [
    weight(cvssAV, 'AV'),
    weight(cvssAC, 'AC'),
    weight(cvssPR, 'PR'),
    weight(cvssUI, 'UI'),
    weight(cvssCIA, 'C'),
    weight(cvssCIA, 'I'),
    weight(cvssCIA, 'A'),
  ];
  if (
    av === undefined ||
    ac === undefined ||
    pr === undefined ||
    ui === undefined ||
    c === undefined ||
    i === undefined ||
    a === undefined
  )
    return undefined;
  const iss = 1 - (1 - c) * (1 - i) * (1 - a);
  const impact = changed ? 7.52 * (iss - 0.029) - 3.25 * (iss - 0.02) ** 15 : 6.42 * iss;
  if (impact <= 0) return 0;
  const exploitability = 8.22 * av * ac * pr * ui;
  return roundUp(Math.min((changed ? 1.08 : 1) * (impact + exploitability), 10));
}

/** CVSS 3.1 Roundup: the smallest one-decimal number >= x, computed on integers to dodge float noise (4.000000001 → 4.0). */
function roundUp(x: number): number {
  const scaled = Math.round(x * 100_000);
  return scaled % 10_000 === 0 ? scaled / 100_000 : (Math.floor(scaled / 10_000) + 1) / 10;
}

/** The qualitative rating of a score; 0.0 ("none") reads as low because the record still names a vulnerability. */
export function severityOfScore(score: number): Exclude<Severity, 'unknown'> {
  if (score >= 9) return 'critical';
  if (score >= 7) return 'high';
  if (score >= 4) return 'medium';
  return 'low';
}

function severityWord(value: unknown): Severity | undefined {
  if (typeof value !== 'string') return undefined;
  const word = value.trim().toLowerCase();
  if (word === 'moderate' || word === 'medium') return 'medium';
  if (word === 'low' || word === 'high' || word === 'critical') return word;
  return undefined;
}

function cvssOf(lists: unknown[]): number | undefined {
  for (const list of lists) {
    for (const item of asArray(list)) {
      const entry = asObject(item);
      if (entry?.type !== 'CVSS_V3' || typeof entry.score !== 'string') continue;
      const score = cvss3BaseScore(entry.score);
      if (score !== undefined) return score;
    }
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Records

/** What matching needs of a record; the rest (details, credits, references) is dropped at load. */
interface Advisory {
  id: string;
  modified?: string;
  withdrawn: boolean;
  aliases: string[];
  summary: string;
  url?: string;
  entries: Entry[];
}

interface Entry {
  ecosystem: Ecosystem;
  key: string;
  severity: Severity;
  cvssScore?: number;
  versions: Set<string>;
  ranges: CompiledRange[];
}

function asObject(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

function asArray(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

function strings(value: unknown): string[] {
  return asArray(value).filter((item): item is string => typeof item === 'string');
}

/**
 * Versions lists repeat the same releases across records (PyPI lists every one), so one load computes each
 * listed version's key once and shares the resulting string.
 */
type ListedKey = (ecosystem: Ecosystem, version: string) => string;

function listedKeys(): ListedKey {
  const known: Record<Ecosystem, Map<string, string>> = { npm: new Map(), PyPI: new Map() };
  return (ecosystem, version) => {
    let key = known[ecosystem].get(version);
    if (key === undefined) {
      key = setKey(ecosystem, version);
      known[ecosystem].set(version, key);
    }
    return key;
  };
}

function compileEntry(
  record: Record<string, unknown>,
  affected: Record<string, unknown>,
  listedKey: ListedKey,
): Entry | undefined {
  const pkg = asObject(affected.package);
  const ecosystem = pkg?.ecosystem;
  if ((ecosystem !== 'npm' && ecosystem !== 'PyPI') || typeof pkg?.name !== 'string') return undefined;
  const ranges: CompiledRange[] = [];
  for (const item of asArray(affected.ranges)) {
    const range = asObject(item);
    const events = asArray(range?.events);
    // SEMVER is semver whatever the ecosystem; ECOSYSTEM is the ecosystem's own order; GIT needs a repository.
    if (range?.type === 'SEMVER' || (range?.type === 'ECOSYSTEM' && ecosystem === 'npm'))
      ranges.push(compileRange(semverScheme, events));
    else if (range?.type === 'ECOSYSTEM') ranges.push(compileRange(pep440Scheme, events));
  }
  const versions = new Set(strings(affected.versions).map((v) => listedKey(ecosystem, v)));
  const cvssScore = cvssOf([affected.severity, record.severity]);
  const severity =
    severityWord(asObject(record.database_specific)?.severity) ??
    severityWord(asObject(affected.ecosystem_specific)?.severity) ??
    (cvssScore === undefined ? 'unknown' : severityOfScore(cvssScore));
  return { ecosystem, key: packageKey(ecosystem, pkg.name), severity, cvssScore, versions, ranges };
}

/** The compact form of a parsed record, or undefined for JSON that is not an OSV record (no `id`). */
function compileRecord(value: unknown, listedKey: ListedKey): Advisory | undefined {
  const record = asObject(value);
  if (typeof record?.id !== 'string') return undefined;
  const references = asArray(record.references).map(asObject);
  const url = (references.find((r) => r?.type === 'ADVISORY') ?? references[0])?.url;
  const details = typeof record.details === 'string' ? (record.details.trim().split('\n')[0] ?? '') : '';
  const entries: Entry[] = [];
  for (const item of asArray(record.affected)) {
    const affected = asObject(item);
    const entry = affected && compileEntry(record, affected, listedKey);
    if (entry) entries.push(entry);
  }
  return {
    id: record.id,
    modified: typeof record.modified === 'string' ? record.modified : undefined,
    withdrawn: typeof record.withdrawn === 'string' && record.withdrawn !== '',
    aliases: strings(record.aliases),
    summary: typeof record.summary === 'string' && record.summary ? record.summary : details.slice(0, 200),
    url: typeof url === 'string' ? url : undefined,
    entries,
  };
}

function testEntry(entry: Entry, version: string): Hit | undefined {
  for (const range of entry.ranges) {
    const hit = range.test(version);
    if (hit) return hit;
  }
  if (!entry.versions.has(setKey(entry.ecosystem, version))) return undefined;
  const fixedIn = entry.ranges.map((range) => range.nextFixed(version)).find((v) => v !== undefined);
  return { reason: `${version} is listed in versions`, fixedIn };
}

// ---------------------------------------------------------------------------------------------
// Loading: the edge reads files (app/supply/osv-files.ts); records arrive here as parsed JSON.

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Parses one JSON document (a record file or an archive member), BOM-tolerant; `where` names it in errors. */
export function parseOsvJson(bytes: Uint8Array, where: string): unknown {
  const text = new TextDecoder().decode(bytes);
  try {
    return JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  } catch (error) {
    throw new OsvError(`${where}: malformed JSON (${message(error)})`);
  }
}

/** The largest single record an archive member may inflate to (osv.dev records are kilobytes). */
const maxRecordBytes = 64 * 1024 * 1024;

/**
 * The JSON members of an osv.dev `all.zip`, parsed one at a time through the reader, so only the
 * compacted records stay in memory.
 */
export async function* osvZipRecords(reader: RandomAccessReader, where: string): AsyncGenerator<unknown> {
  const limits = { ...defaultScanLimits, maxArchiveMembers: 10_000_000, maxInflatedBytes: maxRecordBytes };
  let members: ZipMember[];
  try {
    members = await listZip(reader, limits);
  } catch (error) {
    throw new OsvError(`${where}: ${message(error)}`);
  }
  for (const member of members) {
    if (!member.name.toLowerCase().endsWith('.json')) continue;
    const chunks: Uint8Array[] = [];
    try {
      const source = await memberSource(reader, member, limits);
      for (let chunk = await source.next(); chunk !== undefined; chunk = await source.next())
        chunks.push(chunk);
    } catch (error) {
      if (error instanceof ZipError) throw new OsvError(`${where}: ${error.message}`);
      throw new OsvError(`${where}: member ${member.name}: ${message(error)}`);
    }
    const bytes = new Uint8Array(chunks.reduce((sum, chunk) => sum + chunk.length, 0));
    let at = 0;
    for (const chunk of chunks) {
      bytes.set(chunk, at);
      at += chunk.length;
    }
    yield parseOsvJson(bytes, `${where}: member ${member.name}`);
  }
}

/**
 * Collects OSV records into a database. Records without an `id` are skipped (directories and
 * archives hold other JSON too); when two records share an id, the later `modified` wins.
 */
export class OsvDatabaseBuilder {
  private readonly byId = new Map<string, Advisory>();
  private readonly listedKey = listedKeys();

  /** Adds one parsed record; returns false when it is not an OSV record (no `id`). */
  add(value: unknown): boolean {
    const advisory = compileRecord(value, this.listedKey);
    if (!advisory) return false;
    const known = this.byId.get(advisory.id);
    if (!known || Date.parse(advisory.modified ?? '') > Date.parse(known.modified ?? ''))
      this.byId.set(advisory.id, advisory);
    return true;
  }

  /** The database; `source` names where it came from, `sha256` pins what was read. */
  build(source: string, sha256: string): OsvDatabase {
    return buildDatabase(source, [...this.byId.values()], sha256);
  }
}

/** True when a parsed JSON value is an OSV record (has a string `id`). */
export function isOsvRecord(value: unknown): boolean {
  return typeof asObject(value)?.id === 'string';
}

const severityRank: Record<Severity, number> = { critical: 0, high: 1, medium: 2, low: 3, unknown: 4 };

function buildDatabase(source: string, advisories: Advisory[], sha256: string): OsvDatabase {
  const index = new Map<string, { advisory: Advisory; entry: Entry }[]>();
  let withdrawn = 0;
  let newestModified: string | undefined;
  for (const advisory of advisories) {
    const modified = Date.parse(advisory.modified ?? '');
    if (!Number.isNaN(modified) && !(Date.parse(newestModified ?? '') >= modified))
      newestModified = advisory.modified;
    if (advisory.withdrawn) {
      withdrawn++;
      continue;
    }
    for (const entry of advisory.entries) {
      const list = index.get(entry.key);
      if (list) list.push({ advisory, entry });
      else index.set(entry.key, [{ advisory, entry }]);
    }
  }
  return {
    source,
    records: advisories.length,
    withdrawn,
    newestModified,
    sha256,
    match(pkg) {
      const found = new Map<string, VulnerabilityMatch>();
      for (const { advisory, entry } of index.get(packageKey(pkg.ecosystem, pkg.name)) ?? []) {
        if (found.has(advisory.id)) continue; // a record may list the same package in several entries
        const hit = testEntry(entry, pkg.version);
        if (!hit) continue;
        found.set(advisory.id, {
          id: advisory.id,
          aliases: [...advisory.aliases],
          summary: advisory.summary,
          severity: entry.severity,
          ...(entry.cvssScore === undefined ? {} : { cvssScore: entry.cvssScore }),
          package: { ...pkg },
          ...(hit.fixedIn === undefined ? {} : { fixedIn: hit.fixedIn }),
          reason: hit.reason,
          ...(advisory.url === undefined ? {} : { url: advisory.url }),
        });
      }
      return [...found.values()].sort(
        (a, b) =>
          severityRank[a.severity] - severityRank[b.severity] || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
      );
    },
  };
}

/** Days since the newest record was modified (never negative), or undefined when no record carries `modified`. */
export function databaseAgeDays(db: OsvDatabase, now: Date): number | undefined {
  if (db.newestModified === undefined) return undefined;
  const modified = Date.parse(db.newestModified);
  if (Number.isNaN(modified)) return undefined;
  return Math.max(0, (now.getTime() - modified) / 86_400_000);
}
