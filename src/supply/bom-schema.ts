import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { ArbiterError } from '../core/errors.js';

/**
 * Validation against the official CycloneDX 1.6 JSON schema, as shipped by the CycloneDX
 * project's own library. The schema refers to its SPDX and JSF companions by relative names,
 * so they are registered under those names. Compiled once, on first use.
 */
const require = createRequire(import.meta.url);
const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;
const schemaBase = 'http://cyclonedx.org/schema/';

let validator: ValidateFunction | undefined;

function schemaDir(): string {
  return join(dirname(require.resolve('@cyclonedx/cyclonedx-library/package.json')), 'res', 'schema');
}

function compile(): ValidateFunction {
  const read = (file: string) =>
    JSON.parse(readFileSync(join(schemaDir(), file), 'utf8')) as Record<string, unknown>;
  // strict: false because the official schema uses keywords (meta:enum, deprecated) Ajv does not know.
  const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: true, verbose: true });
  addFormats(ajv);
  // Formats the schema uses that ajv-formats lacks; checked loosely rather than ignored with a warning.
  ajv.addFormat('iri-reference', /^[^\s<>"{}|\\^`]*$/u);
  ajv.addFormat('idn-email', /^[^\s@]+@[^\s@]+$/u);
  for (const companion of ['spdx.SNAPSHOT.schema.json', 'jsf-0.82.SNAPSHOT.schema.json'])
    ajv.addSchema({ ...read(companion), $id: `${schemaBase}${companion}` });
  return ajv.compile(read('bom-1.6.SNAPSHOT.schema.json'));
}

/** Schema errors as readable lines (`/components/3/licenses/0: must match exactly one schema…`). */
export function bomSchemaErrors(bom: unknown): string[] {
  validator ??= compile();
  if (validator(bom)) return [];
  return (validator.errors ?? []).slice(0, 20).map(describe);
}

function describe(error: ErrorObject): string {
  // Enum errors would list every SPDX id; name the offending value instead.
  const params =
    error.keyword === 'enum'
      ? ` (got ${JSON.stringify(error.data)})`
      : Object.keys(error.params).length > 0
        ? ` ${JSON.stringify(error.params)}`
        : '';
  return `${error.instancePath || '/'}: ${error.message ?? error.keyword}${params}`;
}

/** Throws ARB_ERR_BOM_INVALID when the BOM does not validate; `what` names it in the message. */
export function assertValidBom(bom: unknown, what: string): void {
  const errors = bomSchemaErrors(bom);
  if (errors.length > 0)
    throw new ArbiterError(
      'ARB_ERR_BOM_INVALID',
      `${what} is not a valid CycloneDX 1.6 BOM:\n${errors.map((line) => `  ${line}`).join('\n')}`,
      { details: { errors } },
    );
}
