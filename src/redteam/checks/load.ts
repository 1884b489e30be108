import type { Socket } from 'node:net';
import { type Check, firstFailure, pass, type RedteamContext, skip } from '../check.js';
import { clientError, statusIn } from '../expect.js';
import { completeResponse, errorCode, type ProbeResponse } from '../http.js';

/**
 * Load checks: what one client can do to everyone else. They load the target on purpose, so they
 * run only with `arbiter redteam --load`, never by surprise against a production deployment.
 */

/** Connections LOAD-01 opens from this one address: above Arbiter's default per-address limit (256). */
const slowConnections = 512;
/** Opened this many at a time, so the check does not flood its own machine's connect queue. */
const openingBatch = 64;
/** How long a refusal may take to arrive before a connection counts as held. */
const refusalWaitMs = 2_000;
/** The longest LOAD-01 waits for the server to close connections that never finish their headers. */
const headersWaitMs = 60_000;
/** A monitoring batch's largest body: what LOAD-02 declares, and never sends. */
const largeBody = 16 * 1024 * 1024;
/** A gate run's largest body: what the byte-budget probe declares, and never sends. */
const gateRunBody = 8 * 1024 * 1024;
/** How long a request whose body is withheld waits for an early answer. */
const earlyAnswerMs = 5_000;
/** A body the server is reading (no early answer) is dropped after this. */
const readingWaitMs = 500;
/** At most this many declared gate-run bodies (320 MiB) before the byte budget counts as missing. */
const budgetAttempts = 40;

interface SlowConnection {
  socket: Socket;
  received: Buffer[];
  closed: boolean;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Opens one connection that sends the start of a request's headers and never finishes them. */
function openSlow(ctx: RedteamContext): SlowConnection {
  const socket = ctx.http.connect();
  const connection: SlowConnection = { socket, received: [], closed: false };
  socket.on('data', (chunk: Buffer) => connection.received.push(chunk));
  socket.on('error', () => {
    // A refused connection may be reset; it counts by whether it closed.
  });
  socket.on('close', () => {
    connection.closed = true;
  });
  socket.write(`GET /healthz HTTP/1.1\r\nhost: ${new URL(ctx.http.url).host}\r\nx-redteam-slow: `);
  return connection;
}

/** Polls until `done` holds or `ms` have passed; true when it held. */
async function waitUntil(done: () => boolean, ms: number): Promise<boolean> {
  const until = Date.now() + ms;
  while (!done()) {
    if (Date.now() > until) return false;
    await sleep(250);
  }
  return true;
}

/** The answer a refused connection got, if a whole one arrived. */
function answerOf(connection: SlowConnection): ProbeResponse | undefined {
  return connection.received.length > 0 ? completeResponse(Buffer.concat(connection.received)) : undefined;
}

const slowHeaders: Check = {
  id: 'LOAD-01',
  area: 'load',
  load: true,
  title: `${slowConnections} connections from one address that never finish their headers are refused or closed, and the server serves again`,
  async run(ctx) {
    const started = Date.now();
    const connections: SlowConnection[] = [];
    try {
      for (let opened = 0; opened < slowConnections; opened += openingBatch) {
        for (let i = 0; i < openingBatch; i++) connections.push(openSlow(ctx));
        await sleep(20);
      }
      await sleep(refusalWaitMs);
      const refused = connections.filter((connection) => connection.closed);
      const held = connections.length - refused.length;
      const answer = refused.map(answerOf).find((response) => response !== undefined);
      ctx.http.record({
        request: {
          method: 'GET',
          path: '/healthz',
          describe: `${slowConnections} connections, headers never finished`,
        },
        requestExcerpt: `${slowConnections} connections, headers never finished`,
        response: answer ?? { status: 0, headers: {}, text: '', body: undefined },
        ...(answer ? {} : { error: `${refused.length} closed without an answer, ${held} held` }),
      });
      const allClosed = await waitUntil(
        () => connections.every((connection) => connection.closed),
        headersWaitMs,
      );
      const stillOpen = connections.filter((connection) => !connection.closed).length;
      const closedAfter = Math.round((Date.now() - started) / 1000);
      const health = await ctx.http.send({ method: 'GET', path: '/healthz' });
      const me = await ctx.http.send({ method: 'GET', path: '/v1/me', as: 'approver' });
      return (
        firstFailure([
          allClosed
            ? undefined
            : `${stillOpen} of ${slowConnections} connections that never sent their headers were still open after ${headersWaitMs / 1000} s: no headers timeout`,
          refused.length === 0
            ? `all ${slowConnections} connections from one address were held: nothing limits connections per client (--connections-per-address, or limit_conn in the proxy)`
            : undefined,
          answer && !(answer.status === 429 || answer.status === 503)
            ? `a refused connection was answered ${answer.status}, not 429 or 503`
            : undefined,
          statusIn(health, [200], 'GET /healthz afterwards'),
          statusIn(me, [200], 'GET /v1/me afterwards'),
        ]) ??
        pass(
          `${refused.length} of ${slowConnections} refused at once${answer ? ` (${answer.status} ${errorCode(answer) ?? ''})`.trimEnd() : ''}; the other ${held} closed by the server within ${closedAfter} s`,
        )
      );
    } finally {
      for (const connection of connections) connection.socket.destroy();
    }
  },
};

/** Four large monitoring posts for a System the agent does not own, their bodies withheld. */
async function refusedBeforeBody(ctx: RedteamContext): Promise<(string | undefined)[]> {
  const notOwn = `arbiter-redteam-not-${ctx.runId}`;
  const posts = Array.from({ length: 4 }, () =>
    ctx.http.sendHeadOnly(
      {
        method: 'POST',
        path: `/v1/monitor/${notOwn}/events`,
        as: 'agent',
        headers: { 'content-type': 'application/x-ndjson' },
      },
      largeBody,
      earlyAnswerMs,
    ),
  );
  // Sent while the four wait for their bodies: another person's request must be answered now.
  const approver = await ctx.http.send({ method: 'GET', path: '/v1/me', as: 'approver' });
  const answers = await Promise.all(posts);
  return [
    ...answers.map((answer, i) =>
      answer
        ? clientError(answer, `large post ${i + 1} for a System not the agent's`)
        : `large post ${i + 1} for a System not the agent's: no answer without its 16 MiB body; the server reads bodies before it authorises them`,
    ),
    statusIn(approver, [200], "the approver's request while the large posts wait"),
  ];
}

/**
 * Declares gate-run bodies with the agent's token until the byte budget refuses one before it is
 * read; each body the server starts reading is withheld and dropped. Nothing is recorded.
 */
async function byteBudget(ctx: RedteamContext): Promise<{ problem?: string; note: string }> {
  for (let attempt = 1; attempt <= budgetAttempts; attempt++) {
    const answer = await ctx.http.sendHeadOnly(
      { method: 'POST', path: '/v1/gate-runs', as: 'agent', headers: { 'content-type': 'application/json' } },
      gateRunBody,
      readingWaitMs,
    );
    if (!answer) continue;
    if (answer.status === 429)
      return errorCode(answer) === 'ARB_ERR_RATE_LIMITED'
        ? { note: `byte budget: 429 after ${attempt - 1} × ${gateRunBody / 1024 / 1024} MiB declared` }
        : {
            problem: `the 429 is not ARB_ERR_RATE_LIMITED but ${errorCode(answer) ?? 'no Arbiter error'}`,
            note: '',
          };
    return {
      note: `byte budget not probed: a declared gate run was answered ${answer.status} before its body`,
    };
  }
  return {
    problem: `no byte budget: ${budgetAttempts} × ${gateRunBody / 1024 / 1024} MiB of gate-run bodies from one token were all accepted for reading`,
    note: '',
  };
}

const largeBodies: Check = {
  id: 'LOAD-02',
  area: 'load',
  load: true,
  title:
    "Large bodies from a low-privilege token are refused before they are read and cannot hold up others (spends the agent token's byte budget for one window)",
  async run(ctx) {
    if (!ctx.identities.agent.systemId) return skip('the agent token names no System');
    const early = await refusedBeforeBody(ctx);
    const budget = await byteBudget(ctx);
    return (
      firstFailure([...early, budget.problem]) ??
      pass(`4 × 16 MiB posts refused before their bodies, the approver served meanwhile; ${budget.note}`)
    );
  },
};

export const loadChecks: Check[] = [slowHeaders, largeBodies];
