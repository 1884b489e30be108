import { ArbiterError } from '../../core/errors.js';
import { scanText } from '../../data/pii/scan.js';

/**
 * A header's column names, refused when they cannot be names: empty, repeated, or holding personal
 * data — which is what a file without a header line looks like, its first row taken for names.
 * The message names the column's position and the kind found, never the text.
 */
export function checkedHeader(path: string, names: readonly string[]): string[] {
  const seen = new Set<string>();
  names.forEach((name, i) => {
    const found = scanText(name);
    if (found.length > 0)
      throw new ArbiterError(
        'ARB_ERR_DATA_FILE_UNREADABLE',
        `${path}: header column ${i + 1} holds personal data (${found[0]!.kind}); is the header line missing?`,
        { details: { path, column: i + 1 } },
      );
    if (name === '')
      throw new ArbiterError('ARB_ERR_DATA_FILE_UNREADABLE', `${path}: header column ${i + 1} has no name`, {
        details: { path, column: i + 1 },
      });
    if (seen.has(name))
      throw new ArbiterError(
        'ARB_ERR_DATA_FILE_UNREADABLE',
        `${path}: column "${name}" appears twice in the header`,
        {
          details: { path, column: i + 1 },
        },
      );
    seen.add(name);
  });
  return [...names];
}

/** A key of an NDJSON object may name a column only if it holds no personal data. */
export function safeKey(key: string): boolean {
  return scanText(key).length === 0;
}
