import { type Dirent, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { sha256Hex } from '../../core/digest.js';
import {
  isOsvRecord,
  type OsvDatabase,
  OsvDatabaseBuilder,
  OsvError,
  osvZipRecords,
  parseOsvJson,
} from '../../supply/osv.js';
import { sha256Of } from '../../supply/reader.js';
import { isZip } from '../../supply/zip.js';
import { type FileReader, withFileReader } from './file-reader.js';

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function readBytes(path: string): Uint8Array {
  try {
    return readFileSync(path);
  } catch (error) {
    throw new OsvError(`cannot read ${path}: ${message(error)}`);
  }
}

/**
 * *.json files under a directory, sorted. Dot-entries (the .git of a cloned advisory repository) and
 * symbolic links are skipped, the latter so a link cycle cannot recurse forever.
 */
function jsonFiles(dir: string): string[] {
  const files: string[] = [];
  let entries: Dirent[];
  try {
    entries = readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1));
  } catch (error) {
    throw new OsvError(`cannot read ${dir}: ${message(error)}`);
  }
  for (const entry of entries) {
    if (entry.name.startsWith('.')) continue;
    const path = join(dir, entry.name);
    // One by one: a directory of 200,000 advisories spread into push() would overflow the stack.
    if (entry.isDirectory()) for (const file of jsonFiles(path)) files.push(file);
    else if (entry.isFile() && entry.name.toLowerCase().endsWith('.json')) files.push(path);
  }
  return files;
}

/**
 * Loads an OSV database from a directory (recursively, *.json files), an osv.dev all.zip (one
 * record per member, read through the archive's directory, never whole) or a single record file.
 * JSON without an `id` is skipped in directories and archives but is an error as a single file.
 */
export async function loadOsvDatabase(path: string): Promise<OsvDatabase> {
  let isDirectory: boolean;
  try {
    isDirectory = statSync(path).isDirectory();
  } catch (error) {
    throw new OsvError(`cannot read OSV database ${path}: ${message(error)}`);
  }
  const builder = new OsvDatabaseBuilder();
  if (isDirectory) {
    const listing: string[] = [];
    for (const file of jsonFiles(path)) {
      const data = readBytes(file);
      listing.push(`${relative(path, file).split(sep).join('/')}\0${sha256Hex(data)}\n`);
      builder.add(parseOsvJson(data, file));
    }
    return builder.build(path, sha256Hex(listing.join('')));
  }
  let opened: { sha256: string };
  try {
    opened = await withFileReader(path, (reader) => readArchiveOrRecord(path, reader, builder));
  } catch (error) {
    if (error instanceof OsvError) throw error;
    throw new OsvError(`cannot read ${path}: ${message(error)}`);
  }
  return builder.build(path, opened.sha256);
}

async function readArchiveOrRecord(
  path: string,
  reader: FileReader,
  builder: OsvDatabaseBuilder,
): Promise<{ sha256: string }> {
  const sha256 = await sha256Of(reader);
  if (isZip(await reader.read(0, 4))) {
    for await (const record of osvZipRecords(reader, path)) builder.add(record);
  } else if (path.toLowerCase().endsWith('.zip')) {
    throw new OsvError(`${path}: not a ZIP archive`);
  } else {
    const value = parseOsvJson(await reader.read(0, reader.size), path);
    if (!isOsvRecord(value)) throw new OsvError(`${path}: not an OSV record (no "id")`);
    builder.add(value);
  }
  return { sha256 };
}
