import { isArbiterError } from '../../core/errors.js';
import {
  addEvidenceFile,
  append,
  type EvidenceKind,
  type EvidencePaths,
  type ExternalEvidence,
  emptyEvidence,
  evidenceInputKind,
  evidenceKinds,
  evidenceWhat,
} from '../../gate/external-evidence.js';
import { type LoadedRelease, releasePath } from '../../gate/release.js';
import { readInput, shownPath } from './input-files.js';

/**
 * Reads the evidence files other tools wrote for a release — those its release file lists and
 * those named on the command line — each hashed as it is read and parsed by gate/external-evidence.
 */

/** The release's own evidence paths, resolved against it, followed by `extra` (already resolved); duplicates dropped. */
export function evidencePaths(
  release: LoadedRelease,
  extra: EvidencePaths = {},
): Record<EvidenceKind, string[]> {
  const listed = release.spec.evidence ?? {};
  const out = {} as Record<EvidenceKind, string[]>;
  for (const kind of evidenceKinds) {
    const paths = [...(listed[kind] ?? []).map((path) => releasePath(release, path)), ...(extra[kind] ?? [])];
    const seen = new Set<string>();
    out[kind] = paths.filter((path) => {
      const key = shownPath(path);
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
  }
  return out;
}

/** Reads and validates every file; a missing or malformed one is an input error (exit 2). */
export function readExternalEvidence(paths: Record<EvidenceKind, readonly string[]>): ExternalEvidence {
  const evidence = emptyEvidence();
  for (const kind of evidenceKinds)
    for (const path of paths[kind])
      addEvidenceFile(evidence, kind, readInput(evidenceInputKind[kind], path, evidenceWhat[kind]));
  return evidence;
}

/**
 * The baseline release's SARIF and evaluation results, for "new since the baseline" and regression
 * checks. Its files may be gone from this checkout: what cannot be read becomes a warning, and
 * every candidate finding then counts as new (failing closed, not open).
 */
export function readBaselineEvidence(baseline: LoadedRelease): ExternalEvidence & { complete: boolean } {
  const paths = evidencePaths(baseline);
  const out: ExternalEvidence & { complete: boolean } = { ...emptyEvidence(), complete: true };
  for (const kind of ['sarif', 'evaluations'] as const) {
    for (const path of paths[kind]) {
      try {
        const read = readExternalEvidence({
          sarif: kind === 'sarif' ? [path] : [],
          sbom: [],
          vex: [],
          evaluations: kind === 'evaluations' ? [path] : [],
        });
        append(out.findings, read.findings);
        append(out.sarifRuns, read.sarifRuns);
        append(out.evaluations, read.evaluations);
        for (const input of read.inputs)
          out.inputs.push({ ...input, kind: kind === 'sarif' ? 'baseline-sarif' : 'baseline-evaluation' });
      } catch (error) {
        if (!isArbiterError(error)) throw error;
        out.complete = false;
        out.warnings.push(
          `baseline evidence ${shownPath(path)} was not used (${error.message.split('\n')[0]}); ${kind === 'sarif' ? 'findings of its tools count as new' : 'its results are not compared'}`,
        );
      }
    }
  }
  return out;
}
