/**
 * arbiter/data — governance checks on a data set before a model is trained, as a library: personal
 * data and secrets (with the checksums of card numbers, IBANs and national identifiers), quality,
 * representation and label bias, leakage and drift. Pure: rows in, results out; the files are read
 * by the caller (`arbiter data check` streams CSV, NDJSON, ARFF and Parquet into `DatasetCheck`).
 */
export type {
  AttributeLabelBias,
  AttributeRepresentation,
  GroupLabelRate,
  GroupRepresentation,
} from './bias.js';
export { labelBias, labelBiasSummary, representation } from './bias.js';
export type {
  CheckedFile,
  DataChecks,
  DataRole,
  LeakageResult,
  PersonalDataResult,
  QualityResult,
} from './check.js';
export { DatasetCheck } from './check.js';
export type { DataDrift } from './drift.js';
export {
  BaselineSample,
  baselineProfile,
  countBaselineRow,
  profileForData,
  settleBaseline,
} from './drift.js';
export type { FeatureAuc } from './feature-auc.js';
export { FeatureAucCheck } from './feature-auc.js';
export type { DataFinding, DataFindingSeverity } from './findings.js';
export { dataFindings } from './findings.js';
export type { GroupTallies, GroupTally } from './groups.js';
export { rowGroups, tallyRow } from './groups.js';
export { duplicateRows, HashStore, sharedHashes } from './hash-store.js';
export { isIban, mod97 } from './pii/iban.js';
export type { PersonalDataKind } from './pii/kinds.js';
export { personalDataKinds } from './pii/kinds.js';
export { isPaymentCardNumber, luhnValid } from './pii/luhn.js';
export type { NationalIdScheme } from './pii/national-ids.js';
export {
  isDutchBsn,
  isFinnishHetu,
  isFrenchNir,
  isGermanTaxId,
  isItalianCodiceFiscale,
  isNhsNumber,
  isPolishPesel,
  isSpanishDni,
  isSwedishPersonnummer,
} from './pii/national-ids.js';
export { redact } from './pii/redact.js';
export type { CellMatch, ColumnPersonalData, PersonalDataSample } from './pii/scan.js';
export { PersonalDataScan, scanText } from './pii/scan.js';
export type { ColumnQuality } from './quality.js';
export { isMissing, QualityCheck } from './quality.js';
export { dataCheckMarkdown, dataCheckSarif, dataCheckText } from './report.js';
export type { DataCheckResult } from './result.js';
export { dataCheckFormat, dataCheckResult, datasetDigest } from './result.js';
export { canonicalCell, hash8, rowKey } from './row-hash.js';
export type { ColumnExpectation, DatasetSchema, DataThresholds } from './schema.js';
export {
  DatasetSchemaDocument,
  datasetSchemaFromMonitor,
  datasetSchemaProblems,
  MonitorSchemaForDataDocument,
  thresholdsOf,
} from './schema.js';
