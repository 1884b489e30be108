import type { Transport, TransportSendOptions } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { CallToolResult, JSONRPCMessage, MessageExtraInfo } from '@modelcontextprotocol/sdk/types.js';
import { ArbiterError } from '../core/errors.js';
import { defaultJsonDepth, inspectJsonBody } from '../core/json.js';

/** How a server answers a tool call whose arguments were refused: `error` is ARB_ERR_REQUEST_INVALID. */
export type ArgumentRefusal = (
  tool: string,
  error: ArbiterError<'ARB_ERR_REQUEST_INVALID', Record<string, unknown>>,
) => CallToolResult;

/**
 * Screens the arguments of every `tools/call` as the HTTP API screens a request body: nesting
 * deeper than `maxDepth`, a reserved key (`__proto__`, `constructor`, `prototype`), a lone
 * surrogate or NUL is answered with the tool error `refuse` builds, and the call never reaches
 * the server's handlers.
 *
 * This must happen on the raw message: the SDK copies `arguments` into a fresh object while
 * validating it, which silently drops a top-level `__proto__` key, and code after it (canonical
 * JSON, the API client's JSON.stringify) recurses, so a hostile nesting would overflow the stack
 * and surface as an internal or "unreachable" error rather than the caller's mistake.
 */
export function screenToolCalls(
  inner: Transport,
  refuse: ArgumentRefusal,
  maxDepth = defaultJsonDepth,
): Transport {
  const screened: Transport = {
    start: () => inner.start(),
    send: (message: JSONRPCMessage, options?: TransportSendOptions) => inner.send(message, options),
    close: () => inner.close(),
    get sessionId() {
      return inner.sessionId;
    },
    ...(inner.setProtocolVersion
      ? { setProtocolVersion: (version: string) => inner.setProtocolVersion?.(version) }
      : {}),
  };
  inner.onclose = () => screened.onclose?.();
  inner.onerror = (error) => screened.onerror?.(error);
  inner.onmessage = <T extends JSONRPCMessage>(message: T, extra?: MessageExtraInfo) => {
    const refusal = toolCallRefusal(message, refuse, maxDepth);
    if (!refusal) return screened.onmessage?.(message, extra);
    inner
      .send(refusal.response, { relatedRequestId: refusal.response.id })
      .catch((error: unknown) => screened.onerror?.(error as Error));
  };
  return screened;
}

function toolCallRefusal(message: JSONRPCMessage, refuse: ArgumentRefusal, maxDepth: number) {
  if (!('method' in message) || message.method !== 'tools/call' || !('id' in message)) return undefined;
  const params = message.params as { name?: unknown; arguments?: unknown } | undefined;
  const problem = inspectJsonBody(params?.arguments, maxDepth, 'arguments');
  if (!problem) return undefined;
  const { message: text, ...details } = problem;
  const error = new ArbiterError<'ARB_ERR_REQUEST_INVALID', Record<string, unknown>>(
    'ARB_ERR_REQUEST_INVALID',
    text,
    { details },
  );
  const tool = typeof params?.name === 'string' ? params.name : '(unnamed tool)';
  return { response: { jsonrpc: '2.0' as const, id: message.id, result: refuse(tool, error) } };
}
