import { canonicalDigest, canonicalJson, canonicalJsonSize } from '../core/canonical-json.js';
import { sha256Hex } from '../core/digest.js';
import type { JsonObject, JsonValue } from '../core/json.js';
import { ownCopy } from '../core/own-copy.js';
import type { NotFired, Reason, Verdict } from '../policy/evaluate-action.js';
import type { ActionRequest } from '../policy/request.js';

/**
 * What the permanent ledger keeps of a request (docs/ledger.md, "What the ledger holds of a
 * request"). The ledger cannot forget, so agent-supplied text never enters it verbatim: an entry
 * holds the request's canonical digest, its identifying fields, and the facts the policy read —
 * each fact longer than `maxInlineBytes`, and every fact read from free text, as digest + size.
 * The verbatim request is a personal value beside the log (a salted commitment in the entry),
 * erasable without breaking any proof.
 */

/** Longest fact, message or text kept verbatim in an entry, in bytes of its RFC 8785 JSON. */
export const maxInlineBytes = 256;

/** A value the ledger keeps only as its SHA-256 and size (both over its RFC 8785 JSON). */
export interface ElidedValue {
  digest: string;
  size: number;
  [key: string]: JsonValue;
}

/** The request fields that are free text an agent writes: never verbatim, whatever their size. */
export const freeTextFields = ['rationale', 'change', 'context', 'evidence'] as const;

/** `sha256:` hex of the RFC 8785 JSON of a value, and that JSON's size in bytes. */
export function elide(value: JsonValue): ElidedValue {
  return { ...canonicalDigest(value) };
}

/** The value itself when its JSON is at most `maxInlineBytes`, else its digest and size. */
export function bounded(value: JsonValue): JsonValue {
  return canonicalJsonSize(value) > maxInlineBytes ? elide(value) : value;
}

/**
 * A string kept verbatim while its RFC 8785 JSON is at most `maxInlineBytes` (the measure `bounded`
 * uses), else replaced by a line naming the digest and size of that JSON: the size in the line is the
 * one the bound was checked against, quotes and escapes included.
 */
export function boundedText(text: string): string {
  // Only a message over the bound is hashed (every fired rule's message passes here).
  if (canonicalJsonSize(text) <= maxInlineBytes) return text;
  const { digest, size } = elide(text);
  return `(${size} bytes, ${digest})`;
}

/** The free-text fields that are prose, never facts a policy compares. */
const proseFields = ['rationale', 'evidence'] as const;

/** True for a fact path inside a prose field: `request.rationale`, `request.evidence[0].url`, … */
function readsProse(path: string): boolean {
  return proseFields.some(
    (field) =>
      path === `request.${field}` ||
      path.startsWith(`request.${field}.`) ||
      path.startsWith(`request.${field}[`),
  );
}

/**
 * A fact as the ledger keeps it. Rationale and evidence are prose: always elided. Change and
 * context are where policies read numbers and flags (`request.change.linesChanged`): kept when small.
 */
export function recordedFact(path: string, value: JsonValue): JsonValue {
  return readsProse(path) ? elide(value) : bounded(value);
}

/** Every fact of a rule explanation, as the ledger keeps them. */
export function recordedFacts(facts: Readonly<Record<string, JsonValue>>): JsonObject {
  return Object.fromEntries(Object.entries(facts).map(([path, value]) => [path, recordedFact(path, value)]));
}

/**
 * Recorded forms already made, by verdict: a new decision's entry and its row both need one, and
 * recording hashes every prose fact. Verdicts are never changed once evaluated.
 */
const recordedVerdicts = new WeakMap<Verdict, Verdict>();

/** A verdict whose explanation facts are in recorded form: what the decision row and the API keep. */
export function recordedVerdict(verdict: Verdict): Verdict {
  const known = recordedVerdicts.get(verdict);
  if (known) return known;
  // Rules that read the same fields share one facts object (a policy's fact set), so each is
  // recorded once — prose facts are hashed — and the entries share the recorded form, which nothing
  // changes (rows are serialised). Each entry is `{ ...rule, facts }` built as a copy plus a key.
  const recordedBySource = new Map<object, JsonObject>();
  const facts = <T extends Reason | NotFired>(rule: T): T => {
    const source = rule.facts as Record<string, JsonValue>;
    let recorded = recordedBySource.get(source);
    if (!recorded) {
      recorded = recordedFacts(source);
      recordedBySource.set(source, recorded);
    }
    const entry = ownCopy<T>(rule);
    (entry as Reason | NotFired).facts = recorded;
    return entry;
  };
  const recorded = ownCopy(verdict);
  recorded.reasons = verdict.reasons.map(facts);
  recorded.notFired = verdict.notFired.map(facts);
  recorded.shadow = verdict.shadow.map(facts);
  recordedVerdicts.set(verdict, recorded);
  return recorded;
}

/**
 * The canonical digest of a request: `sha256:` hex of its RFC 8785 JSON (`requestJson`, when the
 * caller has serialised it already: it must be `canonicalJson(request)`).
 */
export function requestDigest(
  request: ActionRequest,
  requestJson = canonicalJson(request as unknown as JsonValue),
): string {
  return `sha256:${sha256Hex(requestJson)}`;
}

/**
 * The request data of a `decision.created` entry: what was asked about (`request`: action,
 * resource, confidence), the digest of the whole request, the size of each free-text field
 * (`withheld`), and every fact any evaluated rule read (`facts`). `requestJson`, when given, is
 * `canonicalJson(request)`, already serialised by the caller.
 */
export function recordedRequest(request: ActionRequest, verdict: Verdict, requestJson?: string): JsonObject {
  const { action, resource, confidence } = request;
  const withheld: JsonObject = {};
  for (const field of freeTextFields) {
    const value = request[field];
    // Only the size: the digest of the whole request covers the field.
    if (value !== undefined) withheld[field] = canonicalJsonSize(value as JsonValue);
  }
  const facts: JsonObject = {};
  const recorded = recordedVerdict(verdict);
  for (const rules of [recorded.reasons, recorded.notFired, recorded.shadow])
    for (const rule of rules) Object.assign(facts, rule.facts);
  return {
    request: {
      action,
      resource: resource as unknown as JsonObject,
      ...(confidence !== undefined ? { confidence } : {}),
    },
    requestDigest: requestDigest(request, requestJson),
    withheld,
    facts,
  };
}

/** A reason as a `decision.created` entry keeps it: its facts live in the entry's `facts`. */
export function recordedReason(reason: Reason): JsonObject {
  const { facts: _facts, message, ...rest } = reason;
  return { ...(rest as JsonObject), message: boundedText(message) };
}
