import type { ByteCursor } from './byte-cursor.js';
import { CorruptCompressedData } from './decompress.js';
import { LimitExceeded } from './limits.js';
import { PickleError, type PickleParse, type PickleSightings, parsePickle } from './pickle.js';
import { globalSeverity, nestedLoaders, python3Global } from './pickle-globals.js';
import { bytesReader } from './reader.js';
import type { ScanScope } from './scan-scope.js';

/** The legacy (pre-1.6) `torch.save` format starts with this pickled integer. */
const legacyTorchMagic = 0x1950a86a20f9469cfc6cn;

export interface PickleStreamResult {
  /** How many pickles were read to their STOP. */
  pickles: number;
  /** True when joblib arrays were found (and skipped) in the stream. */
  joblib: boolean;
  /** True when the stream is a legacy `torch.save` file. */
  legacyTorch: boolean;
}

/**
 * Scans the pickles of a stream: the first, then every following one that announces itself with
 * PROTO (legacy PyTorch files hold five, then raw storage bytes). `opportunistic` is for bytes that
 * are data unless they prove to be a pickle (tensor storages): an unparseable start is then no finding.
 */
export async function scanPickleStream(
  file: string,
  cursor: ByteCursor,
  scope: ScanScope,
  options: { maxPickles?: number; opportunistic?: boolean } = {},
): Promise<PickleStreamResult> {
  const result: PickleStreamResult = { pickles: 0, joblib: false, legacyTorch: false };
  let limit = options.maxPickles ?? Number.POSITIVE_INFINITY;
  while (result.pickles < limit) {
    if (result.pickles > 0) {
      // After the first pickle, another one must announce itself with PROTO; otherwise the rest is data.
      if (!(await cursor.fill(1)) || cursor.peek(1)[0] !== 0x80) break;
    }
    const start = cursor.position;
    const seen: PickleSightings = { imports: [], calls: [], nested: [] };
    let parsed: PickleParse;
    try {
      parsed = await parsePickle(cursor, { maxDepth: scope.limits.maxNestingDepth, seen });
    } catch (error) {
      if (
        options.opportunistic &&
        result.pickles === 0 &&
        error instanceof PickleError &&
        seen.imports.length === 0
      )
        return result;
      reportFailure(file, start, result.pickles, error, scope);
      // What was imported before the failure still runs when a loader reads this far.
      await reportParse(file, { ...seen, end: cursor.position, joblibArrays: 0, protocol: 0 }, scope);
      return result;
    }
    result.pickles++;
    if (parsed.joblibArrays > 0) result.joblib = true;
    if (options.opportunistic && parsed.imports.length === 0) return result;
    await reportParse(file, parsed, scope);
    if (result.pickles === 1 && parsed.longValue === legacyTorchMagic) {
      // Legacy PyTorch: magic, protocol, sys info, the model, the storage keys — then raw bytes.
      result.legacyTorch = true;
      limit = 5;
    }
  }
  return result;
}

function reportFailure(file: string, offset: number, index: number, error: unknown, scope: ScanScope): void {
  if (error instanceof LimitExceeded) {
    scope.report({
      file,
      offset,
      severity: 'high',
      rule: error.limit === 'pickle-complexity' ? 'scan-limit' : 'archive-limit',
      message: `pickle ${index + 1} was not read to its end: ${error.message}`,
    });
    return;
  }
  if (error instanceof CorruptCompressedData) {
    scope.report({
      file,
      offset,
      severity: 'high',
      rule: 'compressed-corrupt',
      message: `${error.message}; a scanner that cannot read the whole stream cannot vouch for it`,
    });
    return;
  }
  if (!(error instanceof PickleError)) throw error;
  scope.report({
    file,
    offset: error.offset,
    severity: 'high',
    rule: 'pickle-unparseable',
    message: `pickle ${index + 1} cannot be parsed (${error.message}); a scanner that cannot read it cannot vouch for it`,
  });
}

async function reportParse(file: string, parsed: PickleParse, scope: ScanScope): Promise<void> {
  const called = new Set(parsed.calls.map((call) => call.global));
  const scannedNested = await scanNested(file, parsed, scope);
  const seen = new Set<string>();
  for (const item of parsed.imports) {
    const canonical = python3Global(item.module, item.name);
    if (seen.has(canonical)) continue;
    seen.add(canonical);
    if (scannedNested.has(canonical)) {
      scope.report({
        file,
        offset: item.offset,
        severity: 'info',
        rule: 'pickle-nested',
        global: item.global,
        message: `${item.global} loads a nested pickle from bytes in this file; those bytes were scanned as ${file}!bytes@…`,
      });
      continue;
    }
    const severity = globalSeverity(item.module, item.name);
    if (!severity) continue;
    const renamed = canonical === item.global ? '' : ` (${canonical} in Python 3)`;
    const why =
      severity === 'critical'
        ? ': loading this file runs code'
        : severity === 'medium'
          ? ': a class of an ML library, not on the allowlist of safe ML globals'
          : ': not on the allowlist of safe ML globals';
    scope.report({
      file,
      offset: item.offset,
      severity,
      rule: 'pickle-global',
      global: item.global,
      message: `${item.opcode} imports ${item.global}${renamed}${called.has(canonical) ? ' and the pickle calls it' : ''}${why}`,
    });
  }
}

/**
 * Scans the bytes handed to nested loaders. Returns the loaders all of whose calls were scanned:
 * those are judged by what their bytes hold; any call whose bytes could not be located leaves the
 * loader's own (critical) finding in place.
 */
async function scanNested(file: string, parsed: PickleParse, scope: ScanScope): Promise<Set<string>> {
  const covered = new Set<string>();
  for (const loader of nestedLoaders) {
    const calls = parsed.calls.filter((call) => call.global === loader).length;
    const nested = parsed.nested.filter((item) => item.global === loader);
    const readable = nested.filter((item) => item.reader || item.copy);
    for (const item of readable) {
      const reader = item.reader ?? bytesReader(item.copy!);
      await scope.scanInner(`${file}!bytes@${item.offset}`, reader);
    }
    if (calls > 0 && readable.length === calls) covered.add(loader);
  }
  return covered;
}
