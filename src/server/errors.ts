import type { FastifyError, FastifyInstance } from 'fastify';
import { ArbiterError, type ErrorCode, errorRegistry, isArbiterError } from '../core/errors.js';
import { storeUnavailableReason } from '../store/availability.js';

/** Maps Fastify's own 4xx errors onto Arbiter codes. */
function codeForStatus(status: number): ErrorCode {
  if (status === 413) return 'ARB_ERR_PAYLOAD_TOO_LARGE';
  if (status === 415) return 'ARB_ERR_UNSUPPORTED_MEDIA_TYPE';
  if (status === 404) return 'ARB_ERR_NOT_FOUND';
  if (status === 429) return 'ARB_ERR_RATE_LIMITED';
  if (status === 503) return 'ARB_ERR_UNAVAILABLE';
  return 'ARB_ERR_REQUEST_INVALID';
}

/** Every error leaves as `{error: {code, message, details}}`; unexpected ones as 500 without internals. */
export function installErrorHandling(app: FastifyInstance): void {
  app.setNotFoundHandler((request, reply) => {
    const error = new ArbiterError(
      'ARB_ERR_NOT_FOUND',
      `no route ${request.method} ${request.url.split('?')[0]}`,
    );
    void reply.code(404).send(error.toResponseBody());
  });

  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (isArbiterError(error)) {
      if (error.status >= 500) request.log.error({ err: error }, 'request failed');
      return reply.code(error.status).send(error.toResponseBody());
    }
    if (error.validation) {
      const details = error.validation.map((issue) => ({
        path: `${error.validationContext ?? 'body'}${issue.instancePath || ''}`,
        message: issue.message ?? 'is invalid',
        ...(issue.params && Object.keys(issue.params).length > 0 ? { params: issue.params } : {}),
      }));
      const message = details.map((d) => `${d.path} ${d.message}`).join('; ');
      return reply
        .code(400)
        .send(new ArbiterError('ARB_ERR_REQUEST_INVALID', message, { details }).toResponseBody());
    }
    const status = error.statusCode ?? 500;
    if (status >= 400 && status < 500) {
      const code = codeForStatus(status);
      return reply
        .code(errorRegistry[code].status === status ? status : errorRegistry[code].status)
        .send(new ArbiterError(code, error.message).toResponseBody());
    }
    // Fail closed and say so: a database that cannot be reached or refuses writes is a 503 (retry),
    // never a 500 that reads like a bug, and nothing of the request was applied.
    const unavailable = storeUnavailableReason(error);
    if (unavailable) {
      request.log.error({ err: error }, 'store unavailable');
      return reply
        .code(503)
        .header('retry-after', '1')
        .send(
          new ArbiterError(
            'ARB_ERR_STORE_UNAVAILABLE',
            'the database cannot be reached or refuses writes; nothing was applied, retry later',
            { details: { reason: unavailable } },
          ).toResponseBody(),
        );
    }
    request.log.error({ err: error }, 'unexpected error');
    return reply
      .code(500)
      .send(new ArbiterError('ARB_ERR_INTERNAL', 'internal error; nothing was applied').toResponseBody());
  });
}
