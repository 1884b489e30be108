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

/** The System each agent's hook decides for in examples/policies/coding-agents.yaml. */
export const agentSystems: Record<HookAgent, string> = {
  'claude-code': 'claude-code-ci',
  codex: 'codex-ci',
  cursor: 'cursor-agent',
  gemini: 'gemini-cli',
};

/** Each agent's recorded shell-tool payload, running `command` instead (Codex's as an argv array too). */
export const shellPayloads: Record<HookAgent, (command: string) => Record<string, unknown>> = {
  'claude-code': (command) => ({
    ...hookFixture('claude-code', 'pre-tool-use-bash'),
    tool_input: { command },
  }),
  codex: (command) => ({ ...hookFixture('codex', 'pre-tool-use-allowed'), tool_input: { command } }),
  cursor: (command) => ({ ...hookFixture('cursor', 'before-shell-execution'), command }),
  gemini: (command) => ({
    ...hookFixture('gemini', 'before-tool-shell'),
    tool_input: { command, description: 'run it' },
  }),
};
