import { isPlainObject, jsonDepthExceeds } from '../../core/json.js';
import type { MonitorEvent } from '../../monitor/window.js';

/**
 * Reading monitoring batches: events and labels arrive as a JSON array or as NDJSON, and each item
 * is judged alone — a bad item is a counted, reported rejection, never a failed batch.
 */

/** At most this many events or labels per request. */
export const maxBatchItems = 10_000;
/** Problems listed in a response; the counts cover every item. */
export const maxListedProblems = 50;
/** Events may be stamped at most this far ahead of the server's clock. */
export const maxClockSkewMs = 5 * 60_000;
/** Events nest no deeper than this (an event, its features, a value): bounds recursion when counting. */
const maxEventDepth = 8;
const maxIdLength = 200;
/** Epoch milliseconds below this are 1973: the sender almost certainly meant seconds. */
const smallestEpochMs = 1e11;
/** An RFC 3339 timestamp (what `Date.parse` reads reliably). */
export const rfc3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[Zz]|[+-]\d{2}:\d{2})$/;

/** One item of a batch: a parsed JSON value, or why its NDJSON line could not be read. */
export type BatchItem = { value: unknown; line?: number } | { error: string; line?: number };

import type { BatchProblem } from './batch-results.js';

export type { BatchProblem };

/** The body of an NDJSON request, as its content-type parser read it. */
export class NdjsonBatch {
  constructor(readonly items: BatchItem[]) {}
}

/** The longest NDJSON line read; a longer one is a rejected item and is never held whole. */
export const maxNdjsonLineLength = 1024 * 1024;

/**
 * Reads NDJSON piece by piece as it arrives: each complete line becomes an item at once, so a large
 * batch is parsed a chunk at a time (other requests are served in between) instead of in one long
 * pause at the end. Blank lines are skipped; a line that is not JSON, or is longer than
 * `maxLineLength`, is an item with an error.
 */
export class NdjsonReader {
  readonly items: BatchItem[] = [];
  private partial = '';
  private line = 1;
  /** The current line is over the length limit: its rest is skipped up to the next newline. */
  private skipping = false;

  constructor(private readonly maxLineLength = maxNdjsonLineLength) {}

  /** Adds the next piece of text (any split, even inside a line). */
  push(text: string): this {
    let start = 0;
    for (let end = text.indexOf('\n'); end >= 0; end = text.indexOf('\n', start)) {
      if (!this.skipping) this.take(this.partial + text.slice(start, end));
      this.partial = '';
      this.skipping = false;
      this.line++;
      start = end + 1;
    }
    if (this.skipping) return this;
    this.partial += text.slice(start);
    if (this.partial.length > this.maxLineLength) {
      this.items.push({
        error: `line ${this.line} is longer than ${this.maxLineLength} characters`,
        line: this.line,
      });
      this.partial = '';
      this.skipping = true;
    }
    return this;
  }

  /** The batch, once the text has ended (a last line needs no newline). */
  end(): NdjsonBatch {
    if (!this.skipping) this.take(this.partial);
    this.partial = '';
    return new NdjsonBatch(this.items);
  }

  private take(raw: string): void {
    const text = raw.trim();
    if (text === '') return;
    try {
      this.items.push({ value: JSON.parse(text), line: this.line });
    } catch (error) {
      this.items.push({
        error: `line ${this.line} is not JSON: ${(error as Error).message}`,
        line: this.line,
      });
    }
  }
}

/** Splits NDJSON text into items (see NdjsonReader). */
export function parseNdjson(text: string): NdjsonBatch {
  return new NdjsonReader().push(text).end();
}

/** The items of a request body (a JSON array or NDJSON); undefined when it is neither. */
export function batchItems(body: unknown): BatchItem[] | undefined {
  if (body instanceof NdjsonBatch) return body.items;
  if (Array.isArray(body)) return body.map((value) => ({ value }));
  return undefined;
}

function idOf(raw: unknown): { id?: string; problem?: string } {
  if (raw === undefined || raw === null) return {};
  if (typeof raw === 'number' && Number.isSafeInteger(raw)) return { id: String(raw) };
  if (typeof raw === 'string' && raw.length > 0 && raw.length <= maxIdLength) return { id: raw };
  return { problem: `id must be a string of 1 to ${maxIdLength} characters (or an integer)` };
}

/** Epoch ms of an event's `time`, or why it is unusable. */
export function eventTime(raw: unknown, now: number): { time?: number; problem?: string } {
  let time: number;
  if (raw === undefined || raw === null) return { time: now };
  if (typeof raw === 'string' && rfc3339.test(raw)) time = Date.parse(raw);
  else if (typeof raw === 'number' && Number.isFinite(raw)) {
    if (raw < smallestEpochMs)
      return { problem: `time ${raw} is before 1973: send epoch milliseconds (not seconds) or RFC 3339` };
    time = Math.floor(raw);
  } else return { problem: 'time must be an RFC 3339 timestamp or epoch milliseconds' };
  if (Number.isNaN(time)) return { problem: `time ${String(raw)} is not a valid instant` };
  if (time > now + maxClockSkewMs)
    return {
      problem: `time ${new Date(time).toISOString()} is more than 5 minutes ahead of the server clock`,
    };
  return { time };
}

/** An event ready to count, or the reason it is rejected (with its time when that was readable). */
export type PreparedEvent =
  | { index: number; line?: number; event: MonitorEvent; id?: string; time: number }
  | { index: number; line?: number; problem: string; time?: number };

/**
 * Checks what needs only the event itself: its shape, id and time. The profile's own checks
 * (`eventProblem`) run when the event is counted into its window.
 */
export function prepareEvent(item: BatchItem, index: number, now: number): PreparedEvent {
  const at = { index, ...(item.line === undefined ? {} : { line: item.line }) };
  if ('error' in item) return { ...at, problem: item.error };
  const value = item.value;
  if (!isPlainObject(value)) return { ...at, problem: 'an event must be a JSON object' };
  if (jsonDepthExceeds(value, maxEventDepth))
    return { ...at, problem: `an event nests deeper than ${maxEventDepth} levels` };
  const { time, problem: timeProblem } = eventTime(value.time, now);
  if (timeProblem) return { ...at, problem: timeProblem };
  const { id, problem: idProblem } = idOf(value.id);
  if (idProblem) return { ...at, problem: idProblem, time: time! };
  for (const field of ['prediction', 'label'] as const) {
    const v = value[field];
    if (typeof v === 'object' && v !== null)
      return { ...at, problem: `${field} must be a string, number or boolean`, time: time! };
  }
  return { ...at, event: value as unknown as MonitorEvent, ...(id === undefined ? {} : { id }), time: time! };
}

/** A label ready to join, or the reason it is rejected. */
export type PreparedLabel =
  | { index: number; line?: number; id: string; label: string | number | boolean }
  | { index: number; line?: number; problem: string };

export function prepareLabel(item: BatchItem, index: number): PreparedLabel {
  const at = { index, ...(item.line === undefined ? {} : { line: item.line }) };
  if ('error' in item) return { ...at, problem: item.error };
  const value = item.value;
  if (!isPlainObject(value)) return { ...at, problem: 'a label must be a JSON object {id, label}' };
  const { id, problem } = idOf(value.id);
  if (problem) return { ...at, problem };
  if (id === undefined) return { ...at, problem: 'id is missing: labels are joined to events by id' };
  const label = value.label;
  if (typeof label !== 'string' && typeof label !== 'number' && typeof label !== 'boolean')
    return { ...at, problem: 'label must be a string, number or boolean' };
  return { ...at, id, label };
}

/** Collects rejections: every one is counted, the first few are listed. */
export class ProblemList {
  readonly listed: BatchProblem[] = [];
  count = 0;

  add(at: { index: number; line?: number }, message: string): void {
    this.count++;
    if (this.listed.length < maxListedProblems)
      this.listed.push({ index: at.index, ...(at.line === undefined ? {} : { line: at.line }), message });
  }
}
