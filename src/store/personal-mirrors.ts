/**
 * Columns that repeat a ledger entry's personal field, so the API can show it without reading the
 * log: erasing the field from the ledger must clear these too, or the erasure would leave a copy.
 * `index` is the column holding the ledger index of the entry the value came from.
 */
export interface PersonalMirror {
  field: string;
  table: string;
  column: string;
  index: string;
  /** The column's value after erasure, per dialect, when it is not simply NULL (a field inside JSON text). */
  erased?: { sqlite: string; postgres: string };
}

export const personalMirrors: readonly PersonalMirror[] = [
  { field: 'reason', table: 'approvals', column: 'reason', index: 'ledger_index' },
  { field: 'description', table: 'incidents', column: 'description', index: 'ledger_index' },
  {
    field: 'title',
    table: 'incidents',
    column: 'title',
    index: 'ledger_index',
    erased: { sqlite: "'(erased)'", postgres: "'(erased)'" },
  },
  { field: 'summary', table: 'incidents', column: 'resolution', index: 'resolved_ledger_index' },
  { field: 'note', table: 'incident_links', column: 'note', index: 'ledger_index' },
  // The verbatim request of a decision: erasure keeps what it was about, as its ledger entry does.
  {
    field: 'request',
    table: 'decisions',
    column: 'request',
    index: 'ledger_index',
    erased: {
      sqlite:
        "json_object('action', json_extract(request, '$.action'), 'resource', json(json_extract(request, '$.resource')))",
      postgres:
        "jsonb_build_object('action', request::jsonb->'action', 'resource', request::jsonb->'resource')::text",
    },
  },
  { field: 'detail', table: 'decisions', column: 'outcome_detail', index: 'outcome_ledger_index' },
  {
    field: 'pagedPerson',
    table: 'incidents',
    column: 'paged',
    index: 'ledger_index',
    erased: {
      sqlite: "json_set(paged, '$.person', json('null'))",
      postgres: "jsonb_set(paged::jsonb, '{person}', 'null')::text",
    },
  },
];

/** `SET column = …` for erasing a mirror's value in a dialect. */
export function erasedValue(mirror: PersonalMirror, dialect: 'sqlite' | 'postgres'): string {
  return mirror.erased?.[dialect] ?? 'NULL';
}

/** The mirrors of one personal field. */
export function mirrorsOf(field: string): readonly PersonalMirror[] {
  return personalMirrors.filter((mirror) => mirror.field === field);
}
