/**
 * The one registry of Arbiter error codes. Each code names one distinct failure, carries the
 * HTTP status an API response uses, and has a row in docs/errors.md (a test keeps them in sync).
 * Retired codes are never reused.
 */
export const errorRegistry = {
  ARB_ERR_USAGE: { status: 400, summary: 'The command line is not valid' },
  ARB_ERR_IDENTITY_NAME_INVALID: {
    status: 400,
    summary: 'A user name is empty, too long or outside the allowed characters after normalisation',
  },
  ARB_ERR_INPUT_NOT_FOUND: { status: 400, summary: 'An input file or directory does not exist' },
  ARB_ERR_INPUT_INVALID: {
    status: 400,
    summary: 'An input file is not valid JSON or YAML, or has the wrong shape',
  },
  ARB_ERR_RELEASE_INVALID: {
    status: 400,
    summary: 'A Release file is not valid; details.problems lists every problem with file:line:col',
  },
  ARB_ERR_BOM_INVALID: { status: 400, summary: 'A CycloneDX BOM does not validate against the 1.6 schema' },
  ARB_ERR_OSV_DATABASE: { status: 400, summary: 'The OSV vulnerability database cannot be read' },
  ARB_ERR_POLICY_BUNDLE_INVALID: {
    status: 422,
    summary: 'A policy bundle failed to load; details.problems lists every problem with file:line:col',
  },
  ARB_ERR_POLICY_DIR_NOT_FOUND: { status: 422, summary: 'The policy directory does not exist' },
  ARB_ERR_POLICY_NO_DOCUMENTS: { status: 422, summary: 'The policy directory holds no policy documents' },
  ARB_ERR_POLICY_YAML_SYNTAX: { status: 422, summary: 'A policy file is not valid YAML' },
  ARB_ERR_POLICY_YAML_LIMIT: {
    status: 422,
    summary: 'A policy file exceeds a safety limit (size, documents, alias expansion)',
  },
  ARB_ERR_POLICY_TEXT: {
    status: 422,
    summary: 'A string in a policy file holds U+0000 or a lone UTF-16 surrogate',
  },
  ARB_ERR_POLICY_API_VERSION: { status: 422, summary: 'A document has a missing or unsupported apiVersion' },
  ARB_ERR_POLICY_UNKNOWN_KIND: { status: 422, summary: 'A document has a missing or unknown kind' },
  ARB_ERR_POLICY_UNKNOWN_FIELD: { status: 422, summary: 'A document has a field its kind does not define' },
  ARB_ERR_POLICY_MISSING_FIELD: { status: 422, summary: 'A document lacks a required field' },
  ARB_ERR_POLICY_WRONG_TYPE: {
    status: 422,
    summary: 'A field has the wrong type or a value outside its allowed set',
  },
  ARB_ERR_POLICY_INVALID_VALUE: {
    status: 422,
    summary: 'A field is well-typed but meaningless (bad duration, approval selector, misplaced approval)',
  },
  ARB_ERR_POLICY_DUPLICATE_NAME: {
    status: 422,
    summary: 'Two documents of one kind, or two rules of one policy, share a name',
  },
  ARB_ERR_POLICY_CEL_SYNTAX: { status: 422, summary: 'A CEL expression does not parse' },
  ARB_ERR_POLICY_CEL_TYPE: {
    status: 422,
    summary: 'A CEL expression does not type-check (unknown identifier, bad operands)',
  },
  ARB_ERR_POLICY_UNKNOWN_VARIABLE: {
    status: 422,
    summary: 'A CEL expression reads variables.X where X is not declared before it',
  },
  ARB_ERR_POLICY_CEL_LIMIT: {
    status: 422,
    summary: 'A CEL expression exceeds a size, nesting or comprehension-nesting limit',
  },
  ARB_ERR_POLICY_CEL_REGEX: {
    status: 422,
    summary: 'A matches pattern is not valid RE2 or is too large',
  },
  ARB_ERR_POLICY_CEL_COST: {
    status: 422,
    summary: 'A CEL evaluation exceeded its step, time or matches-cost bound; the rule fails closed',
  },
  ARB_ERR_STORE_UNAVAILABLE: { status: 503, summary: 'The database cannot be opened or reached' },
  ARB_ERR_STORE_SCHEMA_NEWER: {
    status: 503,
    summary: 'The database schema is newer than this Arbiter binary',
  },
  ARB_ERR_LEDGER_KEY: {
    status: 500,
    summary: 'The ledger signing or verifier key cannot be read, created or parsed',
  },
  ARB_ERR_LEDGER_UNTRUSTED: {
    status: 500,
    summary:
      "The database's ledger is not a consistent extension of the trusted checkpoint kept outside it: history was rewritten",
  },
  ARB_ERR_LEDGER_BEHIND_TRUST: {
    status: 500,
    summary:
      'The database holds fewer ledger entries than the trusted checkpoint: restored from an older backup',
  },
  ARB_ERR_STATE_UNSUPPORTED: {
    status: 500,
    summary:
      'A stored decision, approval or System status disagrees with its ledger entries; the step is refused',
  },
  ARB_ERR_WITNESS_KEY: {
    status: 500,
    summary: "A witness's own signing key cannot be read, created or parsed",
  },
  ARB_ERR_WITNESS_CONFIG: {
    status: 400,
    summary: 'The logs a witness witnesses, or a witness given to the server or to verify, are not valid',
  },
  ARB_ERR_LEDGER_RANGE: { status: 400, summary: 'A ledger index or tree size is outside the log' },
  ARB_ERR_LEDGER_EXPORT: {
    status: 400,
    summary: 'A ledger export directory is missing, incomplete or not empty when it must be',
  },
  ARB_ERR_REQUEST_INVALID: {
    status: 400,
    summary: 'The request body, query or parameters do not match the schema',
  },
  ARB_ERR_PAYLOAD_TOO_LARGE: { status: 413, summary: 'The request body is larger than the server accepts' },
  ARB_ERR_HOOK_PAYLOAD: {
    status: 400,
    summary: "A coding-agent hook body is not a payload of that agent's hook events Arbiter answers",
  },
  ARB_ERR_HEADERS_TOO_LARGE: {
    status: 431,
    summary: 'The request carries more headers than the server accepts',
  },
  ARB_ERR_UNSUPPORTED_MEDIA_TYPE: { status: 415, summary: 'The request body is not application/json' },
  ARB_ERR_RATIONALE_REQUIRED: { status: 400, summary: 'Agents must give a rationale with every request' },
  ARB_ERR_AUTH_REQUIRED: { status: 401, summary: 'No bearer token was given' },
  ARB_ERR_AUTH_INVALID: { status: 401, summary: 'The bearer token is unknown or revoked' },
  ARB_ERR_AUTH_UNRECORDED: {
    status: 401,
    summary:
      'The bearer token is in the database but the ledger does not record it as issued (or records it revoked)',
  },
  ARB_ERR_AUTH_SESSION_INVALID: {
    status: 401,
    summary: 'The sign-in session cookie is malformed, forged, expired or ended by logout',
  },
  ARB_ERR_AUTH_CSRF: {
    status: 403,
    summary:
      'A state-changing request made with the session cookie lacks the CSRF token or comes from another site',
  },
  ARB_ERR_AUTH_HUMAN_TOKENS_OFF: {
    status: 401,
    summary:
      'Bearer tokens of people are turned off (--human-tokens off): sign in with the identity provider',
  },
  ARB_ERR_AUTH_SSO_NOT_CONFIGURED: {
    status: 404,
    summary: 'Single sign-on is not configured: the governance repository has no IdentityProvider',
  },
  ARB_ERR_AUTH_SSO_FAILED: {
    status: 401,
    summary:
      'The sign-in with the identity provider failed: unknown, replayed or expired state, a refused code, or an ID token that does not verify',
  },
  ARB_ERR_AUTH_SSO_REFUSED: {
    status: 403,
    summary:
      'The identity provider signed the person in, but Arbiter refuses them: email domain, unmapped groups or unusable claims',
  },
  ARB_ERR_AUTH_SSO_UNAVAILABLE: {
    status: 502,
    summary: 'The identity provider cannot be reached or its discovery document is not usable',
  },
  ARB_ERR_FORBIDDEN: { status: 403, summary: "The token's role or identity may not do this" },
  ARB_ERR_INTEGRATION_NOT_CONFIGURED: {
    status: 404,
    summary: 'An integration endpoint was called but the integration is not configured on this server',
  },
  ARB_ERR_INTEGRATION_SIGNATURE: {
    status: 401,
    summary: "A provider's webhook or interaction carries no valid signature (or a stale timestamp)",
  },
  ARB_ERR_INTEGRATION_REPLAYED: {
    status: 409,
    summary: 'A provider delivery was received before (same delivery id or same signed body)',
  },
  ARB_ERR_INTEGRATION_UNKNOWN_INSTALLATION: {
    status: 403,
    summary: 'A signed GitHub delivery comes from an App installation no System is mapped to',
  },
  ARB_ERR_INTEGRATION_UNKNOWN_PROJECT: {
    status: 403,
    summary: 'An authenticated GitLab delivery is about a project no System is mapped to',
  },
  ARB_ERR_SYSTEM_UNKNOWN: { status: 403, summary: 'The agent token names a System that is not registered' },
  ARB_ERR_GATE_SYSTEM_UNKNOWN: {
    status: 422,
    summary: "A gate run's release names a System the policy bundle in force does not register",
  },
  ARB_ERR_GATE_RESULT_INCONSISTENT: {
    status: 422,
    summary: "A gate run's `passed` contradicts its own checks",
  },
  ARB_ERR_MONITOR_NOT_CONFIGURED: {
    status: 422,
    summary: 'The System is not monitored: no MonitorPolicy gives it a profile that loaded',
  },
  ARB_ERR_MONITOR_BATCH_INVALID: {
    status: 400,
    summary: 'A monitoring batch is neither a JSON array nor NDJSON',
  },
  ARB_ERR_MONITOR_BATCH_TOO_LARGE: {
    status: 413,
    summary: 'A monitoring batch holds more events or labels than one request may',
  },
  ARB_ERR_DATA_SCHEMA_INVALID: {
    status: 400,
    summary: 'A data set schema is not a valid DatasetSchema or MonitorSchema',
  },
  ARB_ERR_DATA_FILE_UNREADABLE: {
    status: 400,
    summary: 'A data file cannot be read as CSV, NDJSON, ARFF or Parquet, or its header is not usable',
  },
  ARB_ERR_DATA_COLUMN_MISSING: {
    status: 400,
    summary: 'The schema names a column that a data file does not have',
  },
  ARB_ERR_DATA_BASELINE_INVALID: {
    status: 400,
    summary: 'The drift baseline is neither a readable data file nor an Arbiter monitoring profile',
  },
  ARB_ERR_DATA_CHECK_INVALID: {
    status: 400,
    summary:
      "A Release's data check result is not an arbiter.data.check/v1 document, or does not match its data set",
  },
  ARB_ERR_INCIDENT_SYSTEM_UNKNOWN: {
    status: 422,
    summary: 'An incident names a System that is not registered',
  },
  ARB_ERR_INCIDENT_LINK_UNKNOWN: {
    status: 422,
    summary: 'The decision, gate run or alert to link to an incident does not exist (or is not visible)',
  },
  ARB_ERR_APPROVAL_SELF: {
    status: 403,
    summary: 'The requester, or the person its agent acts for, may not approve or reject the request',
  },
  ARB_ERR_APPROVAL_AGENT: { status: 403, summary: 'Agents never approve or reject' },
  ARB_ERR_APPROVAL_STEP_UP: {
    status: 403,
    summary:
      "The approval needs a stronger or more recent sign-in (assurance, maxAuthAge) than the approver's session has",
  },
  ARB_ERR_APPROVAL_NOT_ELIGIBLE: {
    status: 403,
    summary: 'The approver matches none of the selectors the decision needs',
  },
  ARB_ERR_NOT_FOUND: { status: 404, summary: 'No such decision, System, token or route' },
  ARB_ERR_IDEMPOTENCY_CONFLICT: {
    status: 409,
    summary: 'The idempotency key was used before for a different request',
  },
  ARB_ERR_DECISION_NOT_PENDING: {
    status: 409,
    summary: 'The decision is no longer pending (allowed, denied or expired)',
  },
  ARB_ERR_DECISION_ALREADY_STARTED: {
    status: 409,
    summary: 'The decision was already started (claimed) or its outcome reported: it runs once',
  },
  ARB_ERR_DECISION_NOT_STARTABLE: {
    status: 409,
    summary: 'Only an allowed decision within its execution window can be started',
  },
  ARB_ERR_DECISION_NOT_WITHDRAWABLE: {
    status: 409,
    summary: 'Only a pending, or an allowed but not started, decision can be withdrawn',
  },
  ARB_ERR_APPROVAL_DUPLICATE: { status: 409, summary: 'This approver has already voted on the decision' },
  ARB_ERR_APPROVAL_HASH_MISMATCH: {
    status: 409,
    summary: "The approval names a request hash other than the decision's",
  },
  ARB_ERR_OUTCOME_NOT_ALLOWED: {
    status: 409,
    summary: 'An outcome is reported only once, for an allowed decision',
  },
  ARB_ERR_IDENTITY_NAME_TAKEN: {
    status: 409,
    summary: 'A user name equal to a registered System id was given for a person',
  },
  ARB_ERR_SYSTEM_CONFLICT: {
    status: 409,
    summary: 'The System is defined in the governance repository; change it there',
  },
  ARB_ERR_AUTONOMY_UNCHANGED: { status: 409, summary: 'The System already acts at that autonomy level' },
  ARB_ERR_AUTONOMY_ABOVE_CEILING: {
    status: 422,
    summary: "An autonomy level above the System document's level (the ceiling) was asked for",
  },
  ARB_ERR_INCIDENT_RESOLVED: { status: 409, summary: 'The incident is already resolved' },
  ARB_ERR_RATE_LIMITED: {
    status: 429,
    summary: 'Too many requests for this token; retry after the Retry-After header',
  },
  ARB_ERR_INTERNAL: { status: 500, summary: 'An unexpected server error; the request was not applied' },
  ARB_ERR_UNAVAILABLE: {
    status: 503,
    summary: 'The server is shutting down or its store is unavailable; nothing was applied',
  },
} as const satisfies Record<string, { status: number; summary: string }>;

export type ErrorCode = keyof typeof errorRegistry;

export interface ErrorOptions<D> {
  details?: D;
  cause?: unknown;
}

/** An error a user can act on: a stable code, a message, structured details and the cause. */
export class ArbiterError<C extends ErrorCode = ErrorCode, D = unknown> extends Error {
  readonly code: C;
  readonly details: D | undefined;

  constructor(code: C, message: string, options: ErrorOptions<D> = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ArbiterError';
    this.code = code;
    this.details = options.details;
  }

  /** The HTTP status an API response for this error carries. */
  get status(): number {
    return errorRegistry[this.code].status;
  }

  /** The `{error: {code, message, details}}` body of an API response. */
  toResponseBody(): { error: { code: C; message: string; details?: D } } {
    return {
      error: {
        code: this.code,
        message: this.message,
        ...(this.details === undefined ? {} : { details: this.details }),
      },
    };
  }
}

/** True when `value` is an ArbiterError, optionally with the given code. */
export function isArbiterError<C extends ErrorCode>(value: unknown, code?: C): value is ArbiterError<C> {
  return value instanceof ArbiterError && (code === undefined || value.code === code);
}
