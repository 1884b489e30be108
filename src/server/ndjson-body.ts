import type { Readable } from 'node:stream';
import type { FastifyRequest } from 'fastify';
import { type NdjsonBatch, NdjsonReader } from '../app/monitoring/batch.js';
import { ArbiterError } from '../core/errors.js';

/** What an NDJSON body may hold. */
export interface NdjsonBodyLimits {
  /** Bytes of the body (the route's bodyLimit). */
  bytes: number;
  /** Items (lines that are not blank); one more is refused without reading on. */
  items: number;
}

/**
 * Reads an NDJSON request body as it streams in: each chunk is decoded (UTF-8, split characters
 * kept whole) and its complete lines parsed at once, so a 16 MiB batch costs many short steps
 * instead of one long pause, and a body over its byte or item limit is refused at the chunk that
 * crosses it, without reading the rest (the connection is then closed).
 */
export function readNdjsonBody(
  request: FastifyRequest,
  payload: Readable,
  limits: NdjsonBodyLimits,
): Promise<NdjsonBatch> {
  const declared = Number(request.headers['content-length']);
  if (declared > limits.bytes) return Promise.reject(tooLarge(limits.bytes));
  return new Promise((resolve, reject) => {
    const reader = new NdjsonReader();
    const decoder = new TextDecoder('utf-8');
    let received = 0;
    const stop = (error: Error) => {
      payload.removeListener('data', onData);
      payload.removeListener('end', onEnd);
      reject(error);
    };
    const onData = (chunk: Buffer) => {
      received += chunk.length;
      if (received > limits.bytes) return stop(tooLarge(limits.bytes));
      reader.push(decoder.decode(chunk, { stream: true }));
      if (reader.items.length > limits.items)
        return stop(
          new ArbiterError(
            'ARB_ERR_MONITOR_BATCH_TOO_LARGE',
            `more than ${limits.items} items in one batch; send at most ${limits.items} per request`,
            { details: { limit: limits.items } },
          ),
        );
    };
    const onEnd = () => {
      if (!Number.isNaN(declared) && received !== declared)
        return stop(
          new ArbiterError(
            'ARB_ERR_REQUEST_INVALID',
            `the body has ${received} bytes but content-length says ${declared}`,
            { details: { reason: 'content-length' } },
          ),
        );
      reader.push(decoder.decode());
      resolve(reader.end());
    };
    payload.on('data', onData);
    payload.on('end', onEnd);
    payload.once('error', stop);
    payload.resume();
  });
}

function tooLarge(limit: number): ArbiterError {
  return new ArbiterError('ARB_ERR_PAYLOAD_TOO_LARGE', `the body is larger than ${limit} bytes`, {
    details: { limit },
  });
}
