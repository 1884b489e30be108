import { Transform, type TransformCallback } from 'node:stream';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ArbiterError } from '../core/errors.js';
import { FixedWindows } from './fixed-windows.js';
import { rateLimitKey } from './limits.js';

/**
 * Request-body bytes per token (per address without one) in fixed windows, beside the request
 * budget: eighteen 16 MiB monitoring posts are far below any request count, yet reading and
 * parsing them costs the server seconds that every other client waits through.
 */
export interface ByteBudgetLimits {
  /** Body bytes a token may send per window; 0 turns the budget off. */
  byteRateLimit: number;
  rateLimitWindowMs: number;
}

/** The 429 for a request whose body does not fit what is left of its token's budget. */
function overBudget(limits: ByteBudgetLimits, retryAfterMs: number, reply: FastifyReply): ArbiterError {
  const seconds = Math.max(1, Math.ceil(retryAfterMs / 1000));
  reply.header('retry-after', String(seconds));
  return new ArbiterError(
    'ARB_ERR_RATE_LIMITED',
    `more than ${limits.byteRateLimit} request-body bytes in ${limits.rateLimitWindowMs / 1000} s for this token; retry in ${seconds} s`,
    {
      details: {
        reason: 'bytes',
        limit: limits.byteRateLimit,
        windowMs: limits.rateLimitWindowMs,
        retryAfterMs,
      },
    },
  );
}

/**
 * Charges every request body to its token's byte budget before it is read: a declared
 * Content-Length is charged whole, up front, and a body that does not fit is refused with 429
 * without reading a byte of it (the route's own checks — role, ownership, a monitored System — ran
 * before, in onRequest, so a refused sender never spends budget). A chunked body is charged as it
 * streams and cut off with the same 429 when it runs over.
 */
export function installByteBudget(app: FastifyInstance, limits: Readonly<ByteBudgetLimits>): void {
  if (limits.byteRateLimit <= 0) return;
  const spent = new FixedWindows(limits.rateLimitWindowMs);
  const left = (key: string) => limits.byteRateLimit - spent.amount(key);

  app.addHook('preParsing', async (request: FastifyRequest, reply: FastifyReply, payload) => {
    const declared = request.headers['content-length'];
    const chunked = request.headers['transfer-encoding'] !== undefined;
    if (declared === undefined && !chunked) return payload;
    const key = rateLimitKey(request);
    if (!chunked) {
      const length = Number(declared);
      if (!(length > 0)) return payload;
      // Over the route's own limit: refused as too large without charging (nor reading) anything.
      const bodyLimit = request.routeOptions.bodyLimit;
      if (bodyLimit !== undefined && length > bodyLimit)
        throw new ArbiterError('ARB_ERR_PAYLOAD_TOO_LARGE', `the body is larger than ${bodyLimit} bytes`, {
          details: { limit: bodyLimit },
        });
      if (length > left(key)) throw overBudget(limits, spent.endsInMs(key), reply);
      spent.add(key, length);
      return payload;
    }
    const metered = new Transform({
      transform(chunk: Buffer, _encoding, callback: TransformCallback) {
        if (chunk.length > left(key)) {
          callback(overBudget(limits, spent.endsInMs(key), reply));
          return;
        }
        spent.add(key, chunk.length);
        callback(null, chunk);
      },
    });
    payload.on('error', (error) => metered.destroy(error));
    return payload.pipe(metered);
  });
}
