import { type Static, Type } from '@sinclair/typebox';

/** A rejected item: its 0-based position in the batch and, for NDJSON, its 1-based line. */
export const BatchProblemSchema = Type.Object({
  index: Type.Integer({ description: '0-based position in the batch' }),
  line: Type.Optional(Type.Integer({ description: 'The NDJSON line, when sent as NDJSON' })),
  message: Type.String(),
});
export type BatchProblem = Static<typeof BatchProblemSchema>;

const problems = Type.Array(BatchProblemSchema, { description: 'The first 50 rejections' });

/** What the server did with a batch of production events. */
export const IngestResultSchema = Type.Object({
  accepted: Type.Integer({ description: 'Events counted into their windows' }),
  rejected: Type.Integer({ description: 'Events not counted: invalid ones and duplicates' }),
  duplicates: Type.Integer({
    description:
      'Of the rejected, repeated ids (not counted as rejected in any window: a retry is not bad data)',
  }),
  problems,
});
export type IngestResult = Static<typeof IngestResultSchema>;

/** What the server did with a batch of late labels. */
export const LabelResultSchema = Type.Object({
  accepted: Type.Integer({ description: 'Labels joined to their events' }),
  rejected: Type.Integer({ description: 'Labels not joined: invalid, unknown ids, events already labelled' }),
  unknown: Type.Integer({ description: 'Ids no stored event has' }),
  duplicates: Type.Integer({ description: 'Labels for events already labelled' }),
  problems,
});
export type LabelResult = Static<typeof LabelResultSchema>;
