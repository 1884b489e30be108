import type { JsonObject, JsonValue } from '../core/json.js';
import { cycloneLicense } from './licenses.js';

/**
 * Builds a CycloneDX 1.6 JSON AI bill of materials: software packages from lockfiles,
 * `machine-learning-model` components for model files (with a model card), `data` components for
 * datasets, and optionally the known vulnerabilities of the packages. Pure: the caller gathers the
 * facts (hashes, formats, lockfiles) and passes the timestamp.
 */

export interface BomPackage {
  ecosystem: 'npm' | 'PyPI';
  name: string;
  version: string;
  purl: string;
  license?: string;
  scope: 'required' | 'optional';
  hashes: readonly { alg: 'SHA-256' | 'SHA-512'; content: string }[];
  /** The lockfile it came from. */
  source: string;
}

export interface BomModel {
  name: string;
  /** Path relative to the release or project root. */
  path: string;
  sha256: string;
  sizeBytes: number;
  /** Format detected from the content: `pytorch-zip`, `safetensors`, `gguf`… */
  format: string;
  framework?: string;
  license?: string;
  /** The release's model card (free-form; CycloneDX fields pass through, friendly names are mapped). */
  modelCard?: Record<string, unknown>;
  /** The signature file that covers the model, when there is one; `verified` once a gate checked it. */
  signature?: { file: string; sha256: string; signer?: string; verified?: boolean };
}

export interface BomDataset {
  name: string;
  path?: string;
  url?: string;
  sha256?: string;
  license?: string;
  description?: string;
  role?: string;
}

export interface BomVulnerability {
  id: string;
  aliases: readonly string[];
  summary: string;
  severity: 'low' | 'medium' | 'high' | 'critical' | 'unknown';
  url?: string;
  /** The bom-ref (purl) of the affected package. */
  affects: string;
  fixedIn?: string;
}

export interface BomInput {
  subject: { name: string; version: string; type?: 'application' | 'machine-learning-model' };
  packages: readonly BomPackage[];
  models: readonly BomModel[];
  datasets: readonly BomDataset[];
  vulnerabilities?: readonly BomVulnerability[];
  /** Overall and per-slice metrics, reported in each model card's quantitative analysis. */
  metrics?: Readonly<Record<string, number>>;
  slices?: Readonly<Record<string, Readonly<Record<string, number>>>>;
  timestamp: Date;
  tool: { name: string; version: string };
  /** `urn:uuid:…`, unique per BOM; the caller draws it (the domain has no randomness of its own). */
  serialNumber: string;
}

export const modelRef = (path: string) => `model:${path}`;
export const datasetRef = (name: string) => `data:${name}`;

/** Arbiter's own BOM properties, namespaced as CycloneDX recommends. */
export const bomProperty = {
  format: 'arbiter:model:format',
  framework: 'arbiter:model:framework',
  path: 'arbiter:path',
  sizeBytes: 'arbiter:sizeBytes',
  signatureFile: 'arbiter:signature:file',
  signatureSha256: 'arbiter:signature:sha256',
  signer: 'arbiter:signature:signer',
  signatureVerified: 'arbiter:signature:verified',
  role: 'arbiter:data:role',
  lockfile: 'arbiter:lockfile',
} as const;

const property = (name: string, value: string | number | boolean) => ({ name, value: String(value) });

function licenses(declared: string | undefined): JsonValue[] | undefined {
  return declared === undefined || declared.trim() === '' ? undefined : [cycloneLicense(declared)];
}

function packageComponent(pkg: BomPackage): JsonObject {
  const slash = pkg.ecosystem === 'npm' ? pkg.name.lastIndexOf('/') : -1;
  const license = licenses(pkg.license);
  return {
    type: 'library',
    'bom-ref': pkg.purl,
    ...(slash > 0
      ? { group: pkg.name.slice(0, slash), name: pkg.name.slice(slash + 1) }
      : { name: pkg.name }),
    version: pkg.version,
    scope: pkg.scope,
    purl: pkg.purl,
    ...(pkg.hashes.length > 0
      ? { hashes: pkg.hashes.map((hash) => ({ alg: hash.alg, content: hash.content })) }
      : {}),
    ...(license ? { licenses: license } : {}),
    properties: [property(bomProperty.lockfile, pkg.source)],
  };
}

const stringList = (value: unknown): string[] | undefined =>
  typeof value === 'string' ? [value] : Array.isArray(value) ? value.map(String) : undefined;

/** Maps a release model card onto CycloneDX's modelCard; unknown keys become properties. */
function modelCard(
  card: Record<string, unknown>,
  datasets: readonly BomDataset[],
  metrics: BomInput['metrics'],
  slices: BomInput['slices'],
): JsonObject {
  const { modelParameters, quantitativeAnalysis, considerations, ...rest } = card;
  const friendly = {
    task: rest.task,
    architectureFamily: rest.architectureFamily,
    modelArchitecture: rest.modelArchitecture,
    useCases: stringList(rest.intendedUse),
    users: stringList(rest.users),
    technicalLimitations: stringList(rest.limitations),
    performanceTradeoffs: stringList(rest.tradeoffs),
    ethicalConsiderations: rest.ethicalConsiderations,
    fairnessAssessments: rest.fairnessAssessments,
  };
  const mapped = new Set([
    'task',
    'architectureFamily',
    'modelArchitecture',
    'intendedUse',
    'users',
    'limitations',
    'tradeoffs',
    'ethicalConsiderations',
    'fairnessAssessments',
  ]);
  const defined = (entries: Record<string, unknown>) =>
    Object.fromEntries(Object.entries(entries).filter(([, value]) => value !== undefined)) as JsonObject;
  const parameters = {
    ...defined({
      task: friendly.task === undefined ? undefined : String(friendly.task),
      architectureFamily:
        friendly.architectureFamily === undefined ? undefined : String(friendly.architectureFamily),
      modelArchitecture:
        friendly.modelArchitecture === undefined ? undefined : String(friendly.modelArchitecture),
    }),
    ...(datasets.length > 0
      ? { datasets: datasets.map((dataset) => ({ ref: datasetRef(dataset.name) })) }
      : {}),
    ...((modelParameters as JsonObject | undefined) ?? {}),
  };
  const performanceMetrics = [
    ...Object.entries(metrics ?? {}).map(([type, value]) => ({ type, value: String(value) })),
    ...Object.entries(slices ?? {}).flatMap(([slice, values]) =>
      Object.entries(values).map(([type, value]) => ({ type, value: String(value), slice })),
    ),
  ];
  const quantitative = {
    ...(performanceMetrics.length > 0 ? { performanceMetrics } : {}),
    ...((quantitativeAnalysis as JsonObject | undefined) ?? {}),
  };
  const considered = {
    ...defined({
      users: friendly.users,
      useCases: friendly.useCases,
      technicalLimitations: friendly.technicalLimitations,
      performanceTradeoffs: friendly.performanceTradeoffs,
      ethicalConsiderations: friendly.ethicalConsiderations,
      fairnessAssessments: friendly.fairnessAssessments,
    }),
    ...((considerations as JsonObject | undefined) ?? {}),
  };
  const extra = Object.entries(rest)
    .filter(([key]) => !mapped.has(key))
    .map(([key, value]) =>
      property(`arbiter:modelCard:${key}`, typeof value === 'string' ? value : JSON.stringify(value)),
    );
  return {
    ...(Object.keys(parameters).length > 0 ? { modelParameters: parameters } : {}),
    ...(Object.keys(quantitative).length > 0 ? { quantitativeAnalysis: quantitative } : {}),
    ...(Object.keys(considered).length > 0 ? { considerations: considered } : {}),
    ...(extra.length > 0 ? { properties: extra } : {}),
  };
}

function modelComponent(model: BomModel, input: BomInput): JsonObject {
  const license = licenses(model.license);
  const signature = model.signature;
  return {
    type: 'machine-learning-model',
    'bom-ref': modelRef(model.path),
    name: model.name,
    version: input.subject.version,
    hashes: [{ alg: 'SHA-256', content: model.sha256 }],
    ...(license ? { licenses: license } : {}),
    properties: [
      property(bomProperty.path, model.path),
      property(bomProperty.format, model.format),
      ...(model.framework ? [property(bomProperty.framework, model.framework)] : []),
      property(bomProperty.sizeBytes, model.sizeBytes),
      ...(signature
        ? [
            property(bomProperty.signatureFile, signature.file),
            property(bomProperty.signatureSha256, signature.sha256),
            ...(signature.verified === undefined
              ? []
              : [property(bomProperty.signatureVerified, signature.verified)]),
            ...(signature.signer ? [property(bomProperty.signer, signature.signer)] : []),
          ]
        : []),
    ],
    modelCard: modelCard(model.modelCard ?? {}, input.datasets, input.metrics, input.slices),
  };
}

function datasetComponent(dataset: BomDataset): JsonObject {
  const license = licenses(dataset.license);
  return {
    type: 'data',
    'bom-ref': datasetRef(dataset.name),
    name: dataset.name,
    ...(dataset.sha256 ? { hashes: [{ alg: 'SHA-256', content: dataset.sha256 }] } : {}),
    ...(license ? { licenses: license } : {}),
    data: [
      {
        type: 'dataset',
        name: dataset.name,
        ...(dataset.description ? { description: dataset.description } : {}),
        ...(dataset.url ? { contents: { url: dataset.url } } : {}),
      },
    ],
    properties: [
      ...(dataset.path ? [property(bomProperty.path, dataset.path)] : []),
      ...(dataset.role ? [property(bomProperty.role, dataset.role)] : []),
    ],
  };
}

/** A vulnerability as a CycloneDX `vulnerabilities[]` entry. */
export function vulnerabilityEntry(vulnerability: BomVulnerability): JsonObject {
  return {
    id: vulnerability.id,
    source: { name: 'OSV', url: vulnerability.url ?? `https://osv.dev/vulnerability/${vulnerability.id}` },
    ratings: [{ severity: vulnerability.severity, source: { name: 'OSV' } }],
    ...(vulnerability.summary ? { description: vulnerability.summary } : {}),
    ...(vulnerability.fixedIn ? { recommendation: `Upgrade to ${vulnerability.fixedIn} or later` } : {}),
    ...(vulnerability.aliases.length > 0
      ? { references: vulnerability.aliases.map((alias) => ({ id: alias, source: { name: 'alias' } })) }
      : {}),
    affects: [{ ref: vulnerability.affects }],
  };
}

/** The packages, deduplicated by purl (the same package locked in two files is one component). */
function uniquePackages(packages: readonly BomPackage[]): BomPackage[] {
  const byPurl = new Map<string, BomPackage>();
  for (const pkg of packages) {
    const earlier = byPurl.get(pkg.purl);
    // A package required anywhere is required.
    if (!earlier || (earlier.scope === 'optional' && pkg.scope === 'required')) byPurl.set(pkg.purl, pkg);
  }
  return [...byPurl.values()].sort((a, b) => a.purl.localeCompare(b.purl));
}

/** The CycloneDX 1.6 AI-BOM of a release or project. */
export function buildBom(input: BomInput): JsonObject {
  const vulnerabilities = input.vulnerabilities ?? [];
  return {
    bomFormat: 'CycloneDX',
    specVersion: '1.6',
    serialNumber: input.serialNumber,
    version: 1,
    metadata: {
      timestamp: input.timestamp.toISOString(),
      tools: { components: [{ type: 'application', name: input.tool.name, version: input.tool.version }] },
      component: {
        type: input.subject.type ?? 'application',
        'bom-ref': `subject:${input.subject.name}`,
        name: input.subject.name,
        version: input.subject.version,
      },
    },
    components: [
      ...input.models.map((model) => modelComponent(model, input)),
      ...input.datasets.map(datasetComponent),
      ...uniquePackages(input.packages).map(packageComponent),
    ],
    ...(vulnerabilities.length > 0 ? { vulnerabilities: vulnerabilities.map(vulnerabilityEntry) } : {}),
  };
}
