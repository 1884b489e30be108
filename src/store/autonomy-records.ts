/** The autonomy rows and ports live in the registry (`registry/autonomy-records.ts`); re-exported for store code. */
export type * from '../registry/autonomy-records.js';
