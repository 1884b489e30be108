import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { sameSecretText } from '../core/constant-time.js';
import { ArbiterError } from '../core/errors.js';
import { escapeHtml } from '../monitor/report/markup.js';

/**
 * The command line's end of `arbiter login` through the browser (RFC 8252 §7.3): an HTTP listener
 * on 127.0.0.1, at a port the system picks, that waits for the browser to bring back the one-time
 * code. The first answer with this sign-in's state is taken; an answer with another state is
 * refused (and reported) without ending the wait, so a stray local request cannot cancel the sign-in;
 * anything after the answer is refused.
 */

const callbackPath = '/callback';
const maxDescriptionLength = 1_000;

function page(response: ServerResponse, status: number, title: string, text: string): void {
  response
    .writeHead(status, {
      'content-type': 'text/html; charset=utf-8',
      'cache-control': 'no-store',
      'referrer-policy': 'no-referrer',
      'x-content-type-options': 'nosniff',
      'content-security-policy': "default-src 'none'",
      connection: 'close',
    })
    .end(
      `<!doctype html><html><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head><body><h1>${escapeHtml(title)}</h1><p>${escapeHtml(text)}</p></body></html>`,
    );
}

export class LoopbackReceiver {
  /** Where the server sends the browser back: `http://127.0.0.1:PORT/callback`. */
  readonly redirectUri: string;
  /** This sign-in's state: the answer must carry it back. */
  readonly state: string;
  /** The one-time code of the first answer with the right state; rejects when that answer is an error. */
  readonly answer: Promise<string>;
  private readonly server: ReturnType<typeof createServer>;

  private constructor(server: ReturnType<typeof createServer>, state: string, answer: Promise<string>) {
    this.server = server;
    this.state = state;
    this.answer = answer;
    this.redirectUri = `http://127.0.0.1:${(server.address() as AddressInfo).port}${callbackPath}`;
  }

  /** Listens on 127.0.0.1 at a free port; `onRefused` hears of answers refused for their state. */
  static async listen({ onRefused }: { onRefused?: (why: string) => void } = {}): Promise<LoopbackReceiver> {
    const state = randomBytes(32).toString('base64url');
    let answered = false;
    let settle: { resolve: (code: string) => void; reject: (error: Error) => void } | undefined;
    const answer = new Promise<string>((resolve, reject) => {
      settle = { resolve, reject };
    });
    // Rejections are handled by whoever awaits `answer`; until then, none is left unhandled.
    answer.catch(() => undefined);
    const server = createServer((request: IncomingMessage, response: ServerResponse) => {
      const url = new URL(request.url ?? '/', 'http://127.0.0.1');
      if (request.method !== 'GET' || url.pathname !== callbackPath) {
        page(response, 404, 'Not found', 'This is the arbiter login sign-in listener.');
        return;
      }
      if (answered) {
        page(response, 400, 'Already answered', 'This sign-in was already answered: return to the terminal.');
        return;
      }
      const given = url.searchParams.get('state') ?? '';
      if (!sameSecretText(given, state)) {
        page(
          response,
          400,
          'Not this sign-in',
          'This answer is not for the sign-in the terminal is waiting for.',
        );
        onRefused?.('an answer at the loopback address was refused: its state is not this sign-in’s');
        return;
      }
      answered = true;
      const error = url.searchParams.get('error');
      const code = url.searchParams.get('code');
      if (error !== null || !code) {
        const description = (url.searchParams.get('error_description') ?? error ?? 'no code').slice(
          0,
          maxDescriptionLength,
        );
        page(response, 400, 'Sign-in failed', `${description} — return to the terminal.`);
        settle?.reject(new ArbiterError('ARB_ERR_USAGE', `the sign-in failed: ${description}`));
        return;
      }
      page(
        response,
        200,
        'Signed in',
        'Arbiter received the sign-in: you can close this tab and return to the terminal.',
      );
      settle?.resolve(code);
    });
    // Headers and bodies of a few kilobytes at most: the code is the only thing that comes here.
    server.maxHeadersCount = 50;
    server.headersTimeout = 30_000;
    server.requestTimeout = 30_000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    return new LoopbackReceiver(server, state, answer);
  }

  /** Stops listening and drops open connections. */
  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.closeAllConnections();
      this.server.close(() => resolve());
    });
  }
}
