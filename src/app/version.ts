import { readFileSync } from 'node:fs';

// Read at the edge: the domain never looks for files; it is handed the version it records.
let version: string | undefined;

/** The version in package.json. */
export function packageVersion(): string {
  version ??= (
    JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
  ).version;
  return version;
}

/** Arbiter as the tool that made a BOM. */
export const arbiterTool = () => ({ name: 'arbiter', version: packageVersion() });
