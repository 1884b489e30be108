import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { ArbiterError } from '../core/errors.js';

/**
 * Validation against the official CycloneDX 1.6 JSON schema. The schema documents are passed in
 * (the edge reads them from the CycloneDX project's own library: app/supply/bom-schema-files.ts);
 * the schema refers to its SPDX and JSF companions by relative names, so they are registered under
 * those names.
 */
const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;
const schemaBase = 'http://cyclonedx.org/schema/';

/** The three schema documents of CycloneDX 1.6, as parsed JSON. */
export interface CycloneDxSchemas {
  bom: Record<string, unknown>;
  spdx: Record<string, unknown>;
  jsf: Record<string, unknown>;
}

export interface BomValidator {
  /** Schema errors as readable lines (`/components/3/licenses/0: must match exactly one schema…`). */
  errors(bom: unknown): string[];
  /** Throws ARB_ERR_BOM_INVALID when the BOM does not validate; `what` names it in the message. */
  assertValid(bom: unknown, what: string): void;
}

/** Compiles the CycloneDX 1.6 schema once into a validator. */
export function bomValidator(schemas: CycloneDxSchemas): BomValidator {
  // strict: false because the official schema uses keywords (meta:enum, deprecated) Ajv does not know.
  const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: true, verbose: true });
  addFormats(ajv);
  // Formats the schema uses that ajv-formats lacks; checked loosely rather than ignored with a warning.
  ajv.addFormat('iri-reference', /^[^\s<>"{}|\\^`]*$/u);
  ajv.addFormat('idn-email', /^[^\s@]+@[^\s@]+$/u);
  ajv.addSchema({ ...schemas.spdx, $id: `${schemaBase}spdx.SNAPSHOT.schema.json` });
  ajv.addSchema({ ...schemas.jsf, $id: `${schemaBase}jsf-0.82.SNAPSHOT.schema.json` });
  const validate: ValidateFunction = ajv.compile(schemas.bom);
  const errors = (bom: unknown) => (validate(bom) ? [] : (validate.errors ?? []).slice(0, 20).map(describe));
  return {
    errors,
    assertValid(bom, what) {
      const found = errors(bom);
      if (found.length > 0)
        throw new ArbiterError(
          'ARB_ERR_BOM_INVALID',
          `${what} is not a valid CycloneDX 1.6 BOM:\n${found.map((line) => `  ${line}`).join('\n')}`,
          { details: { errors: found } },
        );
    },
  };
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
