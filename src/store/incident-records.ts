/** The incident rows and ports live in `incidents/records.ts`; re-exported for store code. */
export type * from '../incidents/records.js';
