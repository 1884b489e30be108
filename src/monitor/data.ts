/**
 * Readers for the data files monitoring consumes: CSV (RFC 4180 quoting), NDJSON (one JSON object
 * per line) and ARFF (Weka's attribute-relation format, as the German Credit data ships). Pure:
 * text in, rows out. A row that cannot be read is reported with its line and skipped, never fatal.
 */

export type Row = Record<string, unknown>;

export interface ParsedData {
  rows: Row[];
  /** Rows that could not be read, with their 1-based line. */
  problems: { line: number; message: string }[];
  /** Column names in file order (for ARFF with their declared types). */
  columns: { name: string; type?: 'numeric' | 'nominal' | 'string' | 'date' }[];
}

export type DataFormat = 'csv' | 'ndjson' | 'arff';

/** The format, from the name or, failing that, the first non-blank character. */
export function detectDataFormat(name: string, text: string): DataFormat {
  if (/\.arff$/i.test(name)) return 'arff';
  if (/\.(nd)?jsonl?$/i.test(name)) return 'ndjson';
  if (/\.csv$/i.test(name)) return 'csv';
  const first = text.trimStart();
  if (first.startsWith('{')) return 'ndjson';
  if (/^(%|@relation)/i.test(first)) return 'arff';
  return 'csv';
}

export function parseData(name: string, text: string): ParsedData {
  switch (detectDataFormat(name, text)) {
    case 'arff':
      return parseArff(text);
    case 'ndjson':
      return parseNdjson(text);
    default:
      return parseCsv(text);
  }
}

/** Splits one delimited record, honouring quotes ("" inside quotes is a quote). */
function splitRecord(line: string, delimiter: string, quote: string): string[] | undefined {
  const cells: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (quoted) {
      if (ch === quote && line[i + 1] === quote) {
        cell += quote;
        i++;
      } else if (ch === quote) quoted = false;
      else cell += ch;
    } else if (ch === quote && cell.trim() === '') {
      quoted = true;
      cell = '';
    } else if (ch === delimiter) {
      cells.push(cell.trim());
      cell = '';
    } else cell += ch;
  }
  if (quoted) return undefined;
  cells.push(cell.trim());
  return cells;
}

/** Logical CSV records: a quoted field may span lines. */
function* csvRecords(text: string): Generator<{ line: number; text: string }> {
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const start = i;
    let record = lines[i]!;
    // An odd number of quotes means a field continues on the next line.
    while ((record.match(/"/g)?.length ?? 0) % 2 === 1 && i + 1 < lines.length) record += `\n${lines[++i]}`;
    yield { line: start + 1, text: record };
  }
}

export function parseCsv(text: string): ParsedData {
  const rows: Row[] = [];
  const problems: ParsedData['problems'] = [];
  let header: string[] | undefined;
  for (const record of csvRecords(text)) {
    if (record.text.trim() === '') continue;
    const cells = splitRecord(record.text, ',', '"');
    if (!cells) {
      problems.push({ line: record.line, message: 'unterminated quoted field' });
      continue;
    }
    if (!header) {
      header = cells;
      continue;
    }
    if (cells.length !== header.length) {
      problems.push({
        line: record.line,
        message: `${cells.length} fields, the header has ${header.length}`,
      });
      continue;
    }
    rows.push(Object.fromEntries(header.map((name, i) => [name, cells[i] === '' ? null : cells[i]])));
  }
  return { rows, problems, columns: (header ?? []).map((name) => ({ name })) };
}

export function parseNdjson(text: string): ParsedData {
  const rows: Row[] = [];
  const problems: ParsedData['problems'] = [];
  const seen = new Set<string>();
  text.split(/\r?\n/).forEach((line, i) => {
    if (line.trim() === '') return;
    try {
      const value = JSON.parse(line) as unknown;
      if (typeof value !== 'object' || value === null || Array.isArray(value))
        throw new Error('not a JSON object');
      for (const key of Object.keys(value)) seen.add(key);
      rows.push(value as Row);
    } catch (error) {
      problems.push({ line: i + 1, message: error instanceof Error ? error.message : String(error) });
    }
  });
  return { rows, problems, columns: [...seen].map((name) => ({ name })) };
}

/** ARFF: `@attribute name type` declarations, then `@data` rows; `?` is a missing value. */
export function parseArff(text: string): ParsedData {
  const columns: ParsedData['columns'] = [];
  const rows: Row[] = [];
  const problems: ParsedData['problems'] = [];
  let inData = false;
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('%')) return;
    if (!inData) {
      const attribute = /^@attribute\s+('([^']*)'|"([^"]*)"|\S+)\s+(.+)$/i.exec(line);
      if (attribute) {
        const name = attribute[2] ?? attribute[3] ?? attribute[1]!;
        const type = attribute[4]!.trim();
        columns.push({
          name,
          type: /^(numeric|real|integer)$/i.test(type)
            ? 'numeric'
            : type.startsWith('{')
              ? 'nominal'
              : /^date/i.test(type)
                ? 'date'
                : 'string',
        });
      } else if (/^@data/i.test(line)) inData = true;
      return;
    }
    const cells = splitRecord(line, ',', "'");
    if (!cells || cells.length !== columns.length) {
      problems.push({
        line: i + 1,
        message: cells
          ? `${cells.length} values, ${columns.length} attributes declared`
          : 'unterminated quote',
      });
      return;
    }
    const row: Row = {};
    columns.forEach((column, c) => {
      const cell = cells[c]!;
      if (cell === '?') row[column.name] = null;
      else if (column.type === 'numeric') row[column.name] = Number(cell);
      else row[column.name] = cell;
    });
    rows.push(row);
  });
  return { rows, problems, columns };
}
