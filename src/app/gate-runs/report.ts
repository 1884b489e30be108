import { type Static, Type } from '@sinclair/typebox';

/**
 * The body of `POST /v1/gate-runs`: one gate run as `arbiter gate` produced it, plus an
 * idempotency key. What the server reads (release, bundle, verdict, check outcomes, models) is
 * typed and bounded, and the top level is closed. The evidence inside a check or the summary may
 * carry fields this server does not know, so a newer CLI can still record against it.
 */

const name = (maxLength = 200) => Type.String({ minLength: 1, maxLength });
const text = (maxLength: number) => Type.String({ maxLength });
const count = Type.Integer({ minimum: 0 });
const path = text(4096);
const open = { additionalProperties: true } as const;

const GateFindingSchema = Type.Object(
  {
    id: name(1000),
    aliases: Type.Optional(Type.Array(text(1000), { maxItems: 100 })),
    message: text(20_000),
    failing: Type.Boolean(),
    location: Type.Optional(
      Type.Object({ file: path, line: Type.Optional(count), byteOffset: Type.Optional(count) }, open),
    ),
    waivedBy: Type.Optional(name()),
  },
  open,
);

const GateCheckReportSchema = Type.Object(
  {
    policy: name(),
    check: name(),
    severity: Type.Union([Type.Literal('error'), Type.Literal('warning')]),
    status: Type.Union([Type.Literal('passed'), Type.Literal('failed'), Type.Literal('waived')]),
    message: text(20_000),
    expected: text(20_000),
    facts: Type.Record(Type.String(), Type.Unknown(), { maxProperties: 1000 }),
    missing: Type.Optional(Type.Array(text(1000), { maxItems: 1000 })),
    error: Type.Optional(text(20_000)),
    findings: Type.Optional(Type.Array(GateFindingSchema, { maxItems: 5000 })),
    waiver: Type.Optional(
      Type.Object(
        {
          name: name(),
          owner: text(1000),
          reason: text(20_000),
          expires: text(100),
          approvedBy: Type.Optional(text(1000)),
        },
        open,
      ),
    ),
    expiredWaivers: Type.Optional(
      Type.Array(Type.Object({ name: name(), expired: text(100) }, open), { maxItems: 1000 }),
    ),
  },
  open,
);

const GateRunSummarySchema = Type.Object(
  {
    models: Type.Array(
      Type.Object(
        {
          path,
          sha256: Type.Optional(Type.String({ pattern: '^[0-9a-f]{64}$' })),
          format: Type.Optional(name()),
          sizeBytes: Type.Optional(count),
        },
        open,
      ),
      { maxItems: 1000 },
    ),
    packages: count,
    vulnerabilities: count,
    scanFindings: count,
    database: Type.Optional(Type.Object({ source: path, records: count }, open)),
    bom: Type.Object({ source: path, serialNumber: Type.Optional(text(500)), components: count }, open),
    /** Data sets checked by `arbiter data check`; the gate.run ledger entry carries their digests. */
    datasets: Type.Optional(
      Type.Array(
        Type.Object(
          {
            name: name(),
            sha256: Type.String({ pattern: '^[0-9a-f]{64}$' }),
            checksSha256: Type.String({ pattern: '^[0-9a-f]{64}$' }),
            rows: count,
            passed: Type.Boolean(),
            errors: count,
            warnings: count,
            personalData: count,
          },
          open,
        ),
        { maxItems: 1000 },
      ),
    ),
    /** Every file the decision rested on, pinned by SHA-256; the gate.run ledger entry carries them. */
    inputs: Type.Optional(
      Type.Array(
        Type.Object(
          {
            kind: name(64),
            path,
            sha256: Type.String({ pattern: '^[0-9a-f]{64}$' }),
            newestModified: Type.Optional(text(100)),
            records: Type.Optional(count),
          },
          { additionalProperties: false },
        ),
        { maxItems: 10_000 },
      ),
    ),
  },
  open,
);

export const GateRunRequestSchema = Type.Object(
  {
    release: Type.Object(
      { file: path, name: name(), system: name(128), version: name() },
      { additionalProperties: false },
    ),
    baseline: Type.Optional(
      Type.Object({ file: path, name: name(), version: name() }, { additionalProperties: false }),
    ),
    bundle: Type.String({
      pattern: '^sha256:[0-9a-f]{64}$',
      description: 'Digest of the policy bundle the gate evaluated',
    }),
    passed: Type.Boolean(),
    checks: Type.Array(GateCheckReportSchema, { maxItems: 5000 }),
    summary: GateRunSummarySchema,
    warnings: Type.Array(text(10_000), { maxItems: 1000 }),
    startedAt: Type.String({ format: 'date-time' }),
    durationMs: count,
    idempotencyKey: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 200,
        description: 'Retries with the same key return the first record, with no second ledger entry',
      }),
    ),
  },
  { additionalProperties: false, description: 'A gate run, as `arbiter gate` reports it' },
);

export type GateRunRequest = Static<typeof GateRunRequestSchema>;

/** The gate run itself: what is stored, hashed into `reportSha256`, and returned whole when read by id. */
export const GateRunReportSchema = Type.Omit(GateRunRequestSchema, ['idempotencyKey'], {
  description: 'A gate run as `arbiter gate` reported it, stored whole',
});
export type GateRunReport = Static<typeof GateRunReportSchema>;
