/**
 * arbiter/supply — the AI supply chain as a library: model-file scanning, the CycloneDX AI-BOM and
 * its diff, lockfile parsing, licence policy, OSV vulnerability matching and OpenSSF model-signing
 * verification. Everything here works offline.
 */
export type { BomDataset, BomInput, BomModel, BomPackage, BomVulnerability } from './bom.js';
export { bomProperty, buildBom } from './bom.js';
export type { BomDiff, ComponentChange, ComponentSummary, Suspicious } from './bom-diff.js';
export { diffBoms } from './bom-diff.js';
export { assertValidBom, bomSchemaErrors } from './bom-schema.js';
export type { ScanFinding, Severity } from './findings.js';
export { severities, severityRank } from './findings.js';
export type { LicensePolicy, LicenseVerdict } from './licenses.js';
export { cycloneLicense, isSpdxExpression, isSpdxId, judgeLicense } from './licenses.js';
export type { LockedPackage } from './lockfiles.js';
export {
  findLockfiles,
  isLockfile,
  LockfileError,
  parseLockfile,
  unpinnedRequirements,
} from './lockfiles.js';
export type { ModelSignaturePolicy, ModelSignatureResult } from './model-signing.js';
export { ModelSigningError, verifyModelSignature } from './model-signing.js';
export type { OsvDatabase, PackageRef, VulnerabilityMatch } from './osv.js';
export { databaseAgeDays, loadOsvDatabase, OsvError } from './osv.js';
export type { FileScan, ModelFormat } from './scan.js';
export { detectFormat, modelFormats, scanBytes } from './scan.js';
