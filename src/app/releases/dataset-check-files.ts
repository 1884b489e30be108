import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { sha256Hex } from '../../core/digest.js';
import { ArbiterError } from '../../core/errors.js';
import { type DataCheckResult, dataCheckFormat } from '../../data/result.js';
import type { DatasetCheckEvidence } from '../../gate/dataset-checks.js';
import { type LoadedRelease, releasePath } from '../../gate/release.js';

/** The largest check result read (a result is counts and a few samples: megabytes at most). */
const maxResultBytes = 64 << 20;

/**
 * Reads the `arbiter data check --json` result each Release dataset names in `checks`. A result
 * that is not one, or that checked other data than the dataset's pinned `sha256`, is refused:
 * a gate must not pass on the strength of someone else's data.
 */
export function loadDatasetChecks(release: LoadedRelease): DatasetCheckEvidence[] {
  return (release.spec.datasets ?? []).flatMap((dataset) => {
    if (!dataset.checks) return [];
    const path = releasePath(release, dataset.checks);
    const file = relative(process.cwd(), path) || path;
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch {
      throw new ArbiterError(
        'ARB_ERR_INPUT_NOT_FOUND',
        `${file}: no such file (datasets[${dataset.name}].checks)`,
      );
    }
    const invalid = (why: string) =>
      new ArbiterError('ARB_ERR_DATA_CHECK_INVALID', `${file} (datasets[${dataset.name}].checks): ${why}`, {
        details: { path: file, dataset: dataset.name },
      });
    if (text.length > maxResultBytes) throw invalid('larger than 64 MiB');
    let result: DataCheckResult;
    try {
      result = JSON.parse(text) as DataCheckResult;
    } catch {
      throw invalid('not JSON');
    }
    if (
      result?.format !== dataCheckFormat ||
      typeof result.dataset?.sha256 !== 'string' ||
      !Array.isArray(result.findings) ||
      typeof result.checks !== 'object' ||
      typeof result.summary?.errors !== 'number'
    )
      throw invalid(
        `not an arbiter data check result (${dataCheckFormat}); write one with arbiter data check --json`,
      );
    if (
      dataset.sha256 &&
      dataset.sha256 !== result.dataset.sha256 &&
      !(result.dataset.files.length === 1 && result.dataset.files[0]!.sha256 === dataset.sha256)
    )
      throw invalid(
        `it checked data with SHA-256 ${result.dataset.sha256}, but the Release pins ${dataset.sha256}`,
      );
    return [{ dataset: dataset.name, file, sha256: sha256Hex(text), result }];
  });
}
