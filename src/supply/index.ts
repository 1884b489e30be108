/**
 * arbiter/supply — the AI supply chain as a library: model-file scanning over a random-access
 * reader, the CycloneDX AI-BOM and its diff, lockfile parsing, licence policy, OSV vulnerability
 * matching and OpenSSF model-signing verification. Pure: no file system, clock or randomness —
 * callers hand in readers, records and ports; `arbiter/supply/node` adds the Node file-system edge.
 */
export type { BomDataset, BomInput, BomModel, BomPackage, BomVulnerability } from './bom.js';
export { bomProperty, buildBom } from './bom.js';
export type { BomDiff, ComponentChange, ComponentSummary, Suspicious } from './bom-diff.js';
export { diffBoms } from './bom-diff.js';
export type { BomValidator, CycloneDxSchemas } from './bom-schema.js';
export { bomValidator } from './bom-schema.js';
export type { Compression } from './decompress.js';
export type { ScanFinding, Severity } from './findings.js';
export { severities, severityRank } from './findings.js';
export type { LicensePolicy, LicenseVerdict } from './licenses.js';
export { cycloneLicense, isSpdxExpression, isSpdxId, judgeLicense } from './licenses.js';
export type { LimitName, ScanLimits } from './limits.js';
export { defaultScanLimits } from './limits.js';
export type { LockedPackage } from './lockfiles.js';
export { isLockfile, LockfileError, parseLockfile, unpinnedRequirements } from './lockfiles.js';
export { type DirectoryMember, directoryManifest, directoryScan } from './model-directory.js';
export type {
  ModelSignaturePolicy,
  ModelSignatureResult,
  ModelTree,
  SignatureFile,
} from './model-signing.js';
export { ModelSigningError, verifySignedModel } from './model-signing.js';
export type { OsvDatabase, PackageRef, VulnerabilityMatch } from './osv.js';
export { databaseAgeDays, OsvDatabaseBuilder, OsvError, osvZipRecords, parseOsvJson } from './osv.js';
export type { Progress, RandomAccessReader } from './reader.js';
export { bytesReader, sha256Of, sliceReader } from './reader.js';
export type { FileScan, ModelFormat, ScanOptions } from './scan.js';
export { detectFormat, modelFormats, scanBytes, scanReader } from './scan.js';
