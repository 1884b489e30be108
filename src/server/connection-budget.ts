import { type Server, STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import { ArbiterError } from '../core/errors.js';

/**
 * How many TCP connections the server holds open, in total and per client address. Without a
 * bound, one address opening connections that never finish their headers holds a file descriptor
 * for each until the headers timeout, and twenty thousand of them leave nothing for anyone else.
 */
export interface ConnectionLimits {
  /** Open connections in total; past it a new connection is answered 503 and closed. */
  maxConnections: number;
  /** Open connections per client address; past it 429 and closed. 0: no per-address limit. */
  connectionsPerAddress: number;
  /** A connection waiting longer than this for a request's headers may be closed to make room. */
  headersTimeoutMs: number;
}

/** Why a connection was refused: `details.reason` of the answer it gets. */
export type ConnectionRefusalReason = 'connections-per-address' | 'connections';

interface Tracked {
  socket: Socket;
  address: string;
  /** Requests whose headers arrived and whose response has not finished. */
  inFlight: number;
  /** Since when the connection waits for a request's headers (new, or idle between requests). */
  waitingSince: number;
}

/**
 * Admits or refuses each new connection. At a limit, connections past their headers timeout
 * (slow headers, or idle between requests for that long) are closed first to make room, rather
 * than waiting for Node's next periodic check; only then is the newcomer refused. Pure
 * bookkeeping over sockets and a clock; `installConnectionBudget` wires it to a server.
 */
export class ConnectionBudget {
  private readonly byAddress = new Map<string, Set<Tracked>>();
  private readonly bySocket = new Map<Socket, Tracked>();
  /** Connections waiting for headers, in the order they started waiting (a Map keeps insertion order). */
  private readonly waiting = new Map<Socket, Tracked>();

  constructor(
    private readonly limits: Readonly<ConnectionLimits>,
    private readonly now: () => number = Date.now,
  ) {}

  /** Open connections now. */
  get open(): number {
    return this.bySocket.size;
  }

  /** Admits `socket` (undefined) or says why it is refused; may close expired connections first. */
  admit(socket: Socket, address: string): ConnectionRefusalReason | undefined {
    const perAddress = this.limits.connectionsPerAddress;
    if (perAddress > 0 && (this.byAddress.get(address)?.size ?? 0) >= perAddress) {
      this.closeExpired(this.byAddress.get(address)!.values(), false);
      // Closing every one of them removes the address's group altogether.
      if ((this.byAddress.get(address)?.size ?? 0) >= perAddress) return 'connections-per-address';
    }
    if (this.bySocket.size >= this.limits.maxConnections) {
      this.closeExpired(this.waiting.values(), true);
      if (this.bySocket.size >= this.limits.maxConnections) return 'connections';
    }
    const tracked: Tracked = { socket, address, inFlight: 0, waitingSince: this.now() };
    this.bySocket.set(socket, tracked);
    this.waiting.set(socket, tracked);
    const group = this.byAddress.get(address) ?? new Set<Tracked>();
    this.byAddress.set(address, group);
    group.add(tracked);
    return undefined;
  }

  /** A request's headers arrived on `socket`. */
  requestStarted(socket: Socket): void {
    const tracked = this.bySocket.get(socket);
    if (!tracked) return;
    tracked.inFlight++;
    this.waiting.delete(socket);
  }

  /** A response on `socket` finished (or was cut off); with none left, it waits for headers again. */
  requestFinished(socket: Socket): void {
    const tracked = this.bySocket.get(socket);
    if (!tracked) return;
    tracked.inFlight = Math.max(0, tracked.inFlight - 1);
    if (tracked.inFlight > 0) return;
    tracked.waitingSince = this.now();
    // Re-inserted at the end: the map stays ordered by waitingSince.
    this.waiting.delete(socket);
    this.waiting.set(socket, tracked);
  }

  /** `socket` closed, for whatever reason. */
  closed(socket: Socket): void {
    const tracked = this.bySocket.get(socket);
    if (!tracked) return;
    this.bySocket.delete(socket);
    this.waiting.delete(socket);
    const group = this.byAddress.get(tracked.address);
    group?.delete(tracked);
    if (group?.size === 0) this.byAddress.delete(tracked.address);
  }

  /**
   * Closes the connections among `candidates` that have waited for headers longer than the
   * headers timeout. When they come `ordered` by waiting time, the walk stops at the first one
   * still in time.
   */
  private closeExpired(candidates: Iterable<Tracked>, ordered: boolean): void {
    const deadline = this.now() - this.limits.headersTimeoutMs;
    for (const tracked of [...candidates]) {
      const expired = tracked.inFlight === 0 && tracked.waitingSince < deadline;
      if (!expired) {
        if (ordered) break;
        continue;
      }
      this.closed(tracked.socket);
      tracked.socket.destroy();
    }
  }
}

/** The answer a refused connection gets before it is closed, in Arbiter's error shape. */
function refusalAnswer(reason: ConnectionRefusalReason, limits: Readonly<ConnectionLimits>): string {
  const error =
    reason === 'connections-per-address'
      ? new ArbiterError(
          'ARB_ERR_RATE_LIMITED',
          `more than ${limits.connectionsPerAddress} open connections from this address; close some or retry later`,
          { details: { reason, limit: limits.connectionsPerAddress } },
        )
      : new ArbiterError(
          'ARB_ERR_UNAVAILABLE',
          `the server holds its most open connections (${limits.maxConnections}); retry later`,
          { details: { reason, limit: limits.maxConnections } },
        );
  const body = JSON.stringify(error.toResponseBody());
  return (
    `HTTP/1.1 ${error.status} ${STATUS_CODES[error.status]}\r\n` +
    'Content-Type: application/json; charset=utf-8\r\n' +
    'X-Content-Type-Options: nosniff\r\n' +
    'Retry-After: 1\r\n' +
    `Content-Length: ${Buffer.byteLength(body)}\r\n` +
    'Connection: close\r\n\r\n' +
    body
  );
}

/** A refused connection gets its answer and is closed; what the client sends meanwhile is discarded. */
function refuse(socket: Socket, answer: string): void {
  socket.on('error', () => {
    // The client may reset a connection it is refused; nothing is left to do.
  });
  socket.resume();
  socket.end(answer, () => socket.destroy());
}

/**
 * Puts `budget` in front of `server`: every new connection is admitted or refused before Node's
 * HTTP parser sees a byte of it. Node's own listener is taken off and called only for admitted
 * connections, so a refused one never becomes a request. Throws at start if the server does not
 * have exactly the one listener Node's HTTP server installs (a Node change would show here, not as
 * a silently missing limit).
 */
export function installConnectionBudget(
  server: Server,
  budget: ConnectionBudget,
  limits: Readonly<ConnectionLimits>,
  onRefused: (reason: ConnectionRefusalReason) => void = () => undefined,
): void {
  const listeners = server.listeners('connection') as ((socket: Socket) => void)[];
  if (listeners.length !== 1)
    throw new Error(
      `the HTTP server has ${listeners.length} connection listeners, expected Node's one; the connection limits cannot be installed`,
    );
  const parse = listeners[0]!;
  server.removeListener('connection', parse);
  server.on('connection', (socket: Socket) => {
    const reason = budget.admit(socket, socket.remoteAddress ?? 'unknown');
    if (reason) {
      onRefused(reason);
      refuse(socket, refusalAnswer(reason, limits));
      return;
    }
    socket.once('close', () => budget.closed(socket));
    parse.call(server, socket);
  });
  server.on('request', (request, response) => {
    const socket = request.socket;
    budget.requestStarted(socket);
    response.once('close', () => budget.requestFinished(socket));
  });
}
