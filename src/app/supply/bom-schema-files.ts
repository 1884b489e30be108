import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { type BomValidator, bomValidator } from '../../supply/bom-schema.js';

/**
 * The CycloneDX 1.6 validator over the schema files the CycloneDX project's own library ships,
 * read and compiled once, on first use.
 */
const require = createRequire(import.meta.url);
let validator: BomValidator | undefined;

function loaded(): BomValidator {
  if (validator) return validator;
  const dir = join(dirname(require.resolve('@cyclonedx/cyclonedx-library/package.json')), 'res', 'schema');
  const read = (file: string) => JSON.parse(readFileSync(join(dir, file), 'utf8')) as Record<string, unknown>;
  validator = bomValidator({
    bom: read('bom-1.6.SNAPSHOT.schema.json'),
    spdx: read('spdx.SNAPSHOT.schema.json'),
    jsf: read('jsf-0.82.SNAPSHOT.schema.json'),
  });
  return validator;
}

/** Schema errors as readable lines (`/components/3/licenses/0: must match exactly one schema…`). */
export function bomSchemaErrors(bom: unknown): string[] {
  return loaded().errors(bom);
}

/** Throws ARB_ERR_BOM_INVALID when the BOM does not validate; `what` names it in the message. */
export function assertValidBom(bom: unknown, what: string): void {
  loaded().assertValid(bom, what);
}
