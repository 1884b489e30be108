import { dirname, isAbsolute, join } from 'node:path/posix';
import { type Static, Type } from '@sinclair/typebox';
import { Metadata } from '../policy/documents.js';
import { parseSingleDocument } from '../policy/single-document.js';

/**
 * A Release file describes one candidate version of a System for `arbiter gate`: its model files,
 * evaluation results, datasets and provenance. Paths inside it are relative to the file. The file
 * is read at the edge (app/releases/release-file.ts); parsing it is pure.
 */
const strict = { additionalProperties: false } as const;
const Text = Type.String({ minLength: 1 });
const Sha256 = Type.String({ pattern: '^[0-9a-f]{64}$', description: 'a lowercase hex SHA-256 digest' });
const Numbers = Type.Record(Type.String(), Type.Number());

export const ReleaseModel = Type.Object(
  {
    name: Type.Optional(Text),
    path: Text,
    /** The pinned digest the file must have. */
    sha256: Type.Optional(Sha256),
    framework: Type.Optional(Text),
    license: Type.Optional(Text),
  },
  strict,
);

export const ReleaseDataset = Type.Object(
  {
    name: Text,
    path: Type.Optional(Text),
    url: Type.Optional(Text),
    sha256: Type.Optional(Sha256),
    license: Type.Optional(Text),
    description: Type.Optional(Type.String()),
    /** What the data was used for: training, validation, evaluation… */
    role: Type.Optional(Text),
    /** An `arbiter data check --json` result for this data set (docs/data.md#in-the-release-gate). */
    checks: Type.Optional(Text),
  },
  strict,
);

export const ReleaseSpec = Type.Object(
  {
    system: Text,
    version: Text,
    models: Type.Optional(Type.Array(ReleaseModel)),
    /** Overall evaluation metrics: `accuracy: 0.74`. */
    metrics: Type.Optional(Numbers),
    /** Metrics per slice or group: `age<25: {accuracy: 0.69, selectionRate: 0.52}`. */
    slices: Type.Optional(Type.Record(Type.String(), Numbers)),
    /** Fairness results, in whatever shape the gate policies read (`fairness.age.demographicParityRatio`). */
    fairness: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    modelCard: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    datasets: Type.Optional(Type.Array(ReleaseDataset)),
    /** Lock or requirements files whose packages go into the AI-BOM; by default those found beside the release file. */
    dependencies: Type.Optional(Type.Array(Text)),
    /** Licences of packages whose lockfile records none (Python lockfiles never do): `numpy: BSD-3-Clause`. */
    packageLicenses: Type.Optional(Type.Record(Type.String(), Text)),
    /** An existing CycloneDX JSON AI-BOM; generated when absent. */
    bom: Type.Optional(Text),
    /** Results of an earlier `arbiter scan --json`; the model files are scanned when absent. */
    scan: Type.Optional(Text),
    provenance: Type.Optional(
      Type.Object(
        {
          /** An OpenSSF model-signing signature (`model.sig`) over the model directory. */
          signature: Type.Optional(Text),
          /** The directory the signature covers; defaults to the signature's directory. */
          modelDirectory: Type.Optional(Text),
          sourceRepository: Type.Optional(Text),
          commit: Type.Optional(Text),
          builder: Type.Optional(Text),
        },
        strict,
      ),
    ),
    /** Other tools' reports, relative to the release file: SARIF, CycloneDX SBOMs, VEX, evaluation results. */
    evidence: Type.Optional(
      Type.Object(
        {
          sarif: Type.Optional(Type.Array(Text)),
          sbom: Type.Optional(Type.Array(Text)),
          vex: Type.Optional(Type.Array(Text)),
          evaluations: Type.Optional(Type.Array(Text)),
        },
        strict,
      ),
    ),
    /** Anything else the gate policies may read as `release.properties`. */
    properties: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  },
  strict,
);

export const ReleaseDocument = Type.Object(
  {
    apiVersion: Type.Literal('arbiter/v1'),
    kind: Type.Literal('Release'),
    metadata: Metadata,
    spec: ReleaseSpec,
  },
  strict,
);
export type ReleaseDocument = Static<typeof ReleaseDocument>;
export type ReleaseSpec = Static<typeof ReleaseSpec>;

export interface LoadedRelease {
  /** The path it was read from. */
  file: string;
  name: string;
  spec: ReleaseSpec;
}

/** Parses and validates a Release file read from `file`; problems are reported as `file:line:col: message`. */
export function parseRelease(file: string, text: string): LoadedRelease {
  const value = parseSingleDocument<ReleaseDocument>(
    file,
    text,
    'Release',
    ReleaseDocument,
    'ARB_ERR_RELEASE_INVALID',
  );
  return { file, name: value.metadata.name, spec: value.spec };
}

/** A path the release file names, resolved against the release file's directory. */
export function releasePath(release: LoadedRelease, path: string): string {
  return isAbsolute(path) ? path : join(dirname(release.file), path);
}
