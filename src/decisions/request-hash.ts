import { canonicalJson } from '../core/canonical-json.js';
import { sha256Hex } from '../core/digest.js';
import type { JsonObject } from '../core/json.js';

/**
 * The hash an approval is bound to: SHA-256 over the RFC 8785 JSON of who asked and exactly
 * what they asked. Any change to the request — a different resource, a larger change, another
 * rationale — is a different hash, so an approval can never be reused for it.
 */
export function requestHash(actorId: string, request: JsonObject): string {
  return requestHashOf(actorId, canonicalJson(request));
}

/**
 * requestHash from the request's canonical JSON (`canonicalJson(request)`), for a caller that has it
 * already: the object `{actor, request}` is written around it as canonicalJson would write it
 * ("actor" sorts before "request"), so the request is serialised once per decision.
 */
export function requestHashOf(actorId: string, requestJson: string): string {
  return `sha256:${sha256Hex(`{"actor":${canonicalJson(actorId)},"request":${requestJson}}`)}`;
}
