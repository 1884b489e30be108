import { canonicalJson } from '../core/canonical-json.js';
import { sha256Hex } from '../core/digest.js';
import type { JsonObject } from '../core/json.js';

/**
 * The hash an approval is bound to: SHA-256 over the RFC 8785 JSON of who asked and exactly
 * what they asked. Any change to the request — a different resource, a larger change, another
 * rationale — is a different hash, so an approval can never be reused for it.
 */
export function requestHash(actorId: string, request: JsonObject): string {
  return `sha256:${sha256Hex(canonicalJson({ actor: actorId, request }))}`;
}
