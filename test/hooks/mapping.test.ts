import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { canonicalDigest } from '../../src/core/canonical-json.js';
import { type HookVerdict, hookAnswer } from '../../src/hooks/answers.js';
import { type HookCall, readHookCall } from '../../src/hooks/payload.js';
import { hookIdempotencyKey, hookRequest } from '../../src/hooks/request.js';
import { codexSchema, hookFixture, syntax } from './fixtures.js';

const mapping = { environment: 'development', syntax };

function call(agent: Parameters<typeof hookFixture>[0], name: string): HookCall {
  const read = readHookCall(agent, hookFixture(agent, name));
  if ('reason' in read) throw new Error(`${agent}/${name}: ${JSON.stringify(read)}`);
  return read;
}

const verdicts: Record<string, HookVerdict> = {
  allow: { kind: 'allow', reason: 'Arbiter allowed' },
  deny: { kind: 'deny', reason: 'Arbiter denied: coding-agents/no-secret-reads' },
  pending: { kind: 'pending', reason: 'needs approval: arbiter approve dec_1', defer: false },
  defer: { kind: 'pending', reason: 'needs approval: arbiter approve dec_1', defer: true },
};

describe('Claude Code', () => {
  it('maps a Bash PreToolUse to agent.tool.shell with the parsed command and digests', () => {
    const bash = call('claude-code', 'pre-tool-use-bash');
    expect(bash).toMatchObject({
      event: 'PreToolUse',
      phase: 'before',
      sessionId: 'abc123',
      toolUseId: 'toolu_01ABC123',
    });
    const request = hookRequest(
      bash,
      { repository: '/home/user/my-project', branch: 'feature/x', user: 'Bob' },
      mapping,
    );
    expect(request).toEqual({
      action: 'agent.tool.shell',
      resource: { type: 'tool', id: 'Bash', environment: 'development' },
      rationale: 'Claude Code PreToolUse: Bash — Run test suite',
      context: {
        tool: { kind: 'shell', name: 'Bash', agent: 'claude-code', input: canonicalDigest(bash.toolInput) },
        session: {
          agent: 'claude-code',
          id: 'abc123',
          cwd: '/home/user/my-project',
          permissionMode: 'default',
        },
        git: { repository: '/home/user/my-project', branch: 'feature/x' },
        workspace: '/home/user/my-project',
        onBehalfOf: 'user:bob',
        command: {
          raw: 'npm test',
          commands: [{ program: 'npm', argv: ['npm', 'test'], redirects: [] }],
          opaque: false,
          opaqueReasons: [],
        },
      },
    });
  });

  it('sends file contents only as a digest, beside the path and whether it is in the repository', () => {
    const write = call('claude-code', 'pre-tool-use-write-outside');
    const request = hookRequest(write, { repository: '/home/user/my-project' }, mapping);
    expect(request.action).toBe('agent.tool.file.write');
    expect(request.context).toMatchObject({
      path: '/home/user/.bashrc',
      pathInWorkspace: false,
      content: canonicalDigest("alias ls='rm -rf'\n"),
    });
    expect(JSON.stringify(request)).not.toContain('rm -rf');
  });

  it('resolves a relative path against cwd', () => {
    const request = hookRequest(call('claude-code', 'pre-tool-use-edit'), {}, mapping);
    expect(request.action).toBe('agent.tool.file.edit');
    expect(request.context).toMatchObject({
      path: '/home/user/my-project/src/index.ts',
      pathInWorkspace: true,
    });
  });

  it('reads the host of a fetch and the server of an MCP tool', () => {
    expect(hookRequest(call('claude-code', 'pre-tool-use-webfetch'), {}, mapping)).toMatchObject({
      action: 'agent.tool.web.fetch',
      context: { host: 'example.com' },
    });
    expect(hookRequest(call('claude-code', 'pre-tool-use-mcp'), {}, mapping)).toMatchObject({
      action: 'agent.tool.mcp',
      resource: { id: 'mcp__memory__create_entities' },
      context: { tool: { kind: 'mcp', server: 'memory', tool: 'create_entities' } },
    });
  });

  it('answers PreToolUse in hookSpecificOutput: allow, deny, deny with the approval line, or defer; never ask', () => {
    const pre = call('claude-code', 'pre-tool-use-bash');
    expect(hookAnswer(pre, verdicts.allow!)).toEqual({
      hookSpecificOutput: {
        hookEventName: 'PreToolUse',
        permissionDecision: 'allow',
        permissionDecisionReason: 'Arbiter allowed',
      },
    });
    expect(hookAnswer(pre, verdicts.deny!)).toEqual({
      hookSpecificOutput: {
        hookEventName: 'PreToolUse',
        permissionDecision: 'deny',
        permissionDecisionReason: 'Arbiter denied: coding-agents/no-secret-reads',
      },
    });
    expect(hookAnswer(pre, verdicts.pending!)).toMatchObject({
      hookSpecificOutput: { permissionDecision: 'deny' },
    });
    expect(hookAnswer(pre, verdicts.defer!)).toMatchObject({
      hookSpecificOutput: { permissionDecision: 'defer' },
    });
    expect(hookAnswer(pre, { kind: 'no-opinion' })).toEqual({});
    for (const verdict of Object.values(verdicts))
      expect(JSON.stringify(hookAnswer(pre, verdict))).not.toContain('"ask"');
  });

  it('answers PermissionRequest with decision.behavior', () => {
    const permission = call('claude-code', 'permission-request');
    expect(hookAnswer(permission, verdicts.allow!)).toEqual({
      hookSpecificOutput: { hookEventName: 'PermissionRequest', decision: { behavior: 'allow' } },
    });
    expect(hookAnswer(permission, verdicts.pending!)).toEqual({
      hookSpecificOutput: {
        hookEventName: 'PermissionRequest',
        decision: { behavior: 'deny', message: 'needs approval: arbiter approve dec_1' },
      },
    });
  });

  it('reads success and failure from PostToolUse and PostToolUseFailure', () => {
    expect(call('claude-code', 'post-tool-use')).toMatchObject({ phase: 'after', succeeded: true });
    expect(call('claude-code', 'post-tool-use-failure')).toMatchObject({ phase: 'after', succeeded: false });
    expect(hookAnswer(call('claude-code', 'post-tool-use'), verdicts.allow!)).toEqual({});
  });

  it('keys a call on session, tool and input, not on the tool-use id', () => {
    const first = call('claude-code', 'pre-tool-use-bash');
    const retried = { ...first, toolUseId: 'toolu_other' };
    expect(hookIdempotencyKey(retried)).toBe(hookIdempotencyKey(first));
    expect(hookIdempotencyKey({ ...first, sessionId: 'other' })).not.toBe(hookIdempotencyKey(first));
    expect(hookIdempotencyKey({ ...first, toolInput: { command: 'npm test ' } })).not.toBe(
      hookIdempotencyKey(first),
    );
    expect(hookIdempotencyKey(call('claude-code', 'post-tool-use'))).toBe(hookIdempotencyKey(first));
  });
});

describe('Codex', () => {
  const ajv = new Ajv({ strict: false, allErrors: true });
  const fixtures = [
    ['pre-tool-use', 'pre-tool-use'],
    ['pre-tool-use-allowed', 'pre-tool-use'],
    ['permission-request', 'permission-request'],
    ['post-tool-use', 'post-tool-use'],
  ] as const;

  it("payload fixtures validate against Codex's own input schemas", () => {
    for (const [fixture, schema] of fixtures) {
      const validate = ajv.compile(codexSchema(`${schema}.command.input`));
      expect(validate(hookFixture('codex', fixture)), `${fixture}: ${ajv.errorsText(validate.errors)}`).toBe(
        true,
      );
    }
  });

  it("every answer validates against Codex's output schema: no field outside it", () => {
    for (const [fixture, schema] of fixtures) {
      const validate = ajv.compile(codexSchema(`${schema}.command.output`));
      for (const verdict of [...Object.values(verdicts), { kind: 'no-opinion' } as const]) {
        const answer = hookAnswer(call('codex', fixture), verdict);
        expect(
          validate(answer),
          `${fixture} ${verdict.kind}: ${JSON.stringify(answer)} ${ajv.errorsText(validate.errors)}`,
        ).toBe(true);
      }
    }
  });

  it('the schema check can fail: a field or value outside the schema is refused', () => {
    const validate = ajv.compile(codexSchema('pre-tool-use.command.output'));
    expect(
      validate({ hookSpecificOutput: { hookEventName: 'PreToolUse', permissionDecision: 'defer' } }),
    ).toBe(false);
    expect(validate({ permission: 'allow' })).toBe(false);
    expect(validate({ hookSpecificOutput: { hookEventName: 'PreToolUse', reason: 'x' } })).toBe(false);
  });

  it('never answers what output_parser.rs refuses: ask, defer, or allow without updatedInput', () => {
    const pre = call('codex', 'pre-tool-use');
    expect(hookAnswer(pre, verdicts.allow!)).toEqual({});
    expect(hookAnswer(pre, verdicts.defer!)).toEqual({
      hookSpecificOutput: {
        hookEventName: 'PreToolUse',
        permissionDecision: 'deny',
        permissionDecisionReason: 'needs approval: arbiter approve dec_1',
      },
    });
  });

  it('maps kubectl against a prod context to agent.tool.shell with its argv', () => {
    const request = hookRequest(call('codex', 'pre-tool-use'), {}, mapping);
    expect(request.action).toBe('agent.tool.shell');
    expect(request.context?.command).toMatchObject({
      commands: [
        {
          program: 'kubectl',
          argv: ['kubectl', '--context', 'prod-eu', 'apply', '-f', 'deploy/service.yaml'],
        },
      ],
      opaque: false,
    });
  });

  it('reads a non-zero exit code as failure', () => {
    expect(call('codex', 'post-tool-use')).toMatchObject({ phase: 'after', succeeded: false });
  });
});

describe('Cursor', () => {
  it('maps beforeShellExecution to the Shell tool, with the signed-in user as onBehalfOf', () => {
    const shell = call('cursor', 'before-shell-execution');
    expect(shell).toMatchObject({ sessionId: 'conv-123', toolName: 'Shell', cwd: '/path/to/project' });
    const request = hookRequest(shell, {}, mapping);
    expect(request).toMatchObject({
      action: 'agent.tool.shell',
      resource: { type: 'tool', id: 'Shell' },
      context: { onBehalfOf: 'user:user@example.com', workspace: '/path/to/project' },
    });
  });

  it('maps beforeMCPExecution (tool input as a JSON string) to agent.tool.mcp', () => {
    const mcp = call('cursor', 'before-mcp-execution');
    expect(mcp.toolInput).toEqual({ query: 'SELECT * FROM users' });
    expect(hookRequest(mcp, {}, mapping)).toMatchObject({
      action: 'agent.tool.mcp',
      context: { tool: { server: 'http://localhost:3000', tool: 'database_query' } },
    });
  });

  it('maps a preToolUse Read to agent.tool.file.read with its path', () => {
    expect(hookRequest(call('cursor', 'pre-tool-use'), {}, mapping)).toMatchObject({
      action: 'agent.tool.file.read',
      context: { path: '/path/to/project/config/id_ed25519', pathInWorkspace: true },
    });
  });

  it('answers with permission and messages for the user and the agent', () => {
    const shell = call('cursor', 'before-shell-execution');
    expect(hookAnswer(shell, verdicts.allow!)).toEqual({ permission: 'allow' });
    expect(hookAnswer(shell, verdicts.pending!)).toEqual({
      permission: 'deny',
      user_message: 'needs approval: arbiter approve dec_1',
      agent_message: 'needs approval: arbiter approve dec_1',
    });
  });
});

describe('Gemini CLI', () => {
  it('maps run_shell_command, write_file and MCP tools', () => {
    expect(hookRequest(call('gemini', 'before-tool-shell'), {}, mapping)).toMatchObject({
      action: 'agent.tool.shell',
      resource: { id: 'run_shell_command' },
      context: { command: { commands: [{ program: 'git', argv: ['git', 'status', '--short'] }] } },
    });
    expect(hookRequest(call('gemini', 'before-tool-write'), {}, mapping)).toMatchObject({
      action: 'agent.tool.file.write',
      context: { path: '/etc/hosts', pathInWorkspace: false },
    });
    expect(hookRequest(call('gemini', 'before-tool-mcp'), {}, mapping)).toMatchObject({
      action: 'agent.tool.mcp',
      context: { tool: { server: 'github', tool: 'create_issue' } },
    });
  });

  it('answers with decision and reason', () => {
    const shell = call('gemini', 'before-tool-shell');
    expect(hookAnswer(shell, verdicts.allow!)).toEqual({ decision: 'allow' });
    expect(hookAnswer(shell, verdicts.deny!)).toEqual({
      decision: 'deny',
      reason: 'Arbiter denied: coding-agents/no-secret-reads',
    });
    expect(call('gemini', 'after-tool')).toMatchObject({ phase: 'after', succeeded: true });
  });
});

describe('payloads Arbiter does not answer', () => {
  it('says what is wrong', () => {
    expect(readHookCall('claude-code', [])).toEqual({ reason: 'not-an-object' });
    expect(readHookCall('claude-code', { hook_event_name: 'Stop', session_id: 'x' })).toEqual({
      reason: 'unknown-event',
      event: 'Stop',
    });
    expect(readHookCall('gemini', { hook_event_name: 'PreToolUse' })).toEqual({
      reason: 'unknown-event',
      event: 'PreToolUse',
    });
    expect(readHookCall('claude-code', { hook_event_name: 'PreToolUse', tool_name: 'Bash' })).toEqual({
      reason: 'missing-field',
      field: 'session_id',
    });
    expect(
      readHookCall('cursor', { hook_event_name: 'beforeShellExecution', conversation_id: 'c', command: 42 }),
    ).toEqual({
      reason: 'wrong-type',
      field: 'command',
    });
    expect(readHookCall('claude-code', { hook_event_name: 'toString' })).toEqual({
      reason: 'unknown-event',
      event: 'toString',
    });
  });
});
