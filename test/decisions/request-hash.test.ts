import { describe, expect, it } from 'vitest';
import { canonicalJson } from '../../src/core/canonical-json.js';
import { sha256Hex } from '../../src/core/digest.js';
import type { JsonObject } from '../../src/core/json.js';
import { requestHash, requestHashOf } from '../../src/decisions/request-hash.js';

/** The definition, written out: SHA-256 of the RFC 8785 JSON of `{actor, request}`. */
const naive = (actor: string, request: JsonObject) =>
  `sha256:${sha256Hex(canonicalJson({ actor, request }))}`;

describe('requestHash', () => {
  // Actors and requests that could shift the hand-written wrapper: quotes and backslashes in the
  // actor, keys that sort around "actor" and "request", a request that is empty or nested.
  const actors = ['system:deploy-bot', 'user:"quoted"', 'user:back\\slash', 'user:\u2028\ud800', ''];
  const requests: JsonObject[] = [
    {},
    { action: 'deploy', resource: { type: 'service', id: 'payments', environment: 'staging' } },
    { actor: 'x', request: { actor: 'y' }, a: 1, z: [null, true, 'é'] },
    { '"': '\\', '\u0000': ['\ud83d\ude00'], confidence: 0.97, change: { linesChanged: 40 } },
  ];

  it.each(actors.flatMap((actor) => requests.map((request) => [actor, request] as const)))(
    'hashes %j with %j as the canonical JSON of {actor, request}',
    (actor, request) => {
      expect(requestHash(actor, request)).toBe(naive(actor, request));
      expect(requestHashOf(actor, canonicalJson(request))).toBe(naive(actor, request));
    },
  );
});
