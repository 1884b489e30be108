import { readFileSync } from 'node:fs';
import { bashSyntax } from '../../src/app/hooks/shell-parser.js';
import type { HookAgent } from '../../src/hooks/agents.js';

/** A recorded hook payload of test/fixtures/hooks/AGENT/NAME.json. */
export function hookFixture(agent: HookAgent, name: string): Record<string, unknown> {
  return JSON.parse(
    readFileSync(new URL(`../fixtures/hooks/${agent}/${name}.json`, import.meta.url), 'utf8'),
  ) as Record<string, unknown>;
}

/** One of Codex's own hook schemas (test/fixtures/hooks/codex/schema/). */
export function codexSchema(name: string): Record<string, unknown> {
  return JSON.parse(
    readFileSync(new URL(`../fixtures/hooks/codex/schema/${name}.schema.json`, import.meta.url), 'utf8'),
  ) as Record<string, unknown>;
}

export const syntax = bashSyntax();
