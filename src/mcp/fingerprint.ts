import { canonicalJson } from '../core/canonical-json.js';
import { sha256Hex } from '../core/digest.js';
import type { JsonValue } from '../core/json.js';

/** What makes a tool that tool: its name, description and input schema. */
export interface ToolDefinition {
  name: string;
  description?: string | undefined;
  inputSchema?: unknown;
}

/** SHA-256 over the canonical JSON of name, description and input schema. */
export function toolFingerprint(tool: ToolDefinition): string {
  return `sha256:${sha256Hex(
    canonicalJson({
      name: tool.name,
      description: tool.description ?? '',
      inputSchema: (tool.inputSchema ?? {}) as JsonValue,
    }),
  )}`;
}

/** SHA-256 of a tool call's arguments, as recorded with the decision. */
export function argumentsDigest(args: Record<string, unknown>): string {
  return `sha256:${sha256Hex(canonicalJson(args as JsonValue))}`;
}

/**
 * Remembers each tool's fingerprint from the first time it is seen in a session; a tool whose
 * definition changes afterwards (a "rug pull") is blocked for the rest of the session.
 */
export class ToolPins {
  private readonly pins = new Map<string, string>();
  private readonly blocked = new Map<string, { was: string; now: string }>();

  /** Checks every tool; returns those that changed for the first time now. */
  check(tools: readonly ToolDefinition[]): { name: string; was: string; now: string }[] {
    const changed: { name: string; was: string; now: string }[] = [];
    for (const tool of tools) {
      const now = toolFingerprint(tool);
      const was = this.pins.get(tool.name);
      if (was === undefined) this.pins.set(tool.name, now);
      else if (was !== now && !this.blocked.has(tool.name)) {
        this.blocked.set(tool.name, { was, now });
        changed.push({ name: tool.name, was, now });
      }
    }
    return changed;
  }

  isBlocked(name: string): boolean {
    return this.blocked.has(name);
  }

  pinned(name: string): string | undefined {
    return this.pins.get(name);
  }
}
