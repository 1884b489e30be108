import { readFileSync } from 'node:fs';
import { sha256Hex } from '../../core/digest.js';
import { ArbiterError } from '../../core/errors.js';
import {
  type DatasetSchema,
  DatasetSchemaDocument,
  datasetSchemaFromMonitor,
  datasetSchemaProblems,
  MonitorSchemaForDataDocument,
} from '../../data/schema.js';
import { parseSingleDocument } from '../../policy/single-document.js';

/** A schema file as `arbiter data check` uses it. */
export interface LoadedDatasetSchema {
  name: string;
  kind: 'DatasetSchema' | 'MonitorSchema';
  sha256: string;
  spec: DatasetSchema;
}

/** Reads a DatasetSchema, or a MonitorSchema (without its deployment fields), validated strictly. */
export function loadDatasetSchema(file: string): LoadedDatasetSchema {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new ArbiterError('ARB_ERR_INPUT_NOT_FOUND', `${file}: no such file`, { details: { path: file } });
  }
  const kind = /^kind:\s*MonitorSchema\s*$/m.test(text) ? 'MonitorSchema' : 'DatasetSchema';
  const document =
    kind === 'MonitorSchema'
      ? parseSingleDocument<{
          metadata: { name: string };
          spec: Parameters<typeof datasetSchemaFromMonitor>[0];
        }>(file, text, kind, MonitorSchemaForDataDocument, 'ARB_ERR_DATA_SCHEMA_INVALID')
      : parseSingleDocument<{ metadata: { name: string }; spec: DatasetSchema }>(
          file,
          text,
          kind,
          DatasetSchemaDocument,
          'ARB_ERR_DATA_SCHEMA_INVALID',
        );
  const spec =
    kind === 'MonitorSchema'
      ? datasetSchemaFromMonitor(document.spec as never)
      : (document.spec as DatasetSchema);
  const problems = datasetSchemaProblems(spec);
  if (problems.length > 0)
    throw new ArbiterError(
      'ARB_ERR_DATA_SCHEMA_INVALID',
      `${kind} file rejected: ${file}: ${problems.join('; ')}`,
      {
        details: {
          path: file,
          problems: problems.map((message) => ({
            file,
            line: 1,
            col: 1,
            code: 'ARB_ERR_DATA_SCHEMA_INVALID',
            message,
          })),
        },
      },
    );
  return { name: document.metadata.name, kind, sha256: sha256Hex(text), spec };
}
