/**
 * arbiter/supply/node — the parts of arbiter/supply that read the file system: scanning files in
 * place, loading OSV databases from disk, validating BOMs against the schema files CycloneDX ships,
 * verifying model signatures over a model directory, finding lockfiles. Everything of arbiter/supply
 * is re-exported, so Node programs need one import.
 */
export * from '../../supply/index.js';
export { assertValidBom, bomSchemaErrors } from './bom-schema-files.js';
export { type FileReader, openFileReader, withFileReader } from './file-reader.js';
export { findLockfiles } from './lockfile-files.js';
export { filesUnder, scanFile } from './model-files.js';
export { modelTreeAt, verifyModelSignature } from './model-signing-files.js';
export { loadOsvDatabase } from './osv-files.js';
