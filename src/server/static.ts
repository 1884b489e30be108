import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ArbiterError } from '../core/errors.js';

/**
 * Serves the dashboard built by `vite build` (web/ → dist/web/) at `/`: hashed assets with
 * immutable caching, index.html for every other GET that is not an API path (client routes), and
 * a page that says how to build the dashboard when it is missing. Files are read once at boot.
 */

/** Where `npm run build` puts the dashboard: dist/web of this package, from src/ and dist/ alike. */
export const defaultWebRoot = fileURLToPath(new URL('../../dist/web/', import.meta.url));

const contentTypes: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.webp': 'image/webp',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
  '.webmanifest': 'application/manifest+json',
};

/** Paths that belong to the API: an unknown one is a JSON 404, never the dashboard. */
const apiPrefixes = ['/v1', '/auth', '/metrics', '/openapi.json', '/healthz', '/readyz'];

const securityHeaders = {
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
    "font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
};

interface StaticFile {
  body: Buffer;
  gzip?: Buffer;
  type: string;
  cacheControl: string;
}

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    return entry.isDirectory() ? walk(path) : entry.isFile() ? [path] : [];
  });
}

/** Every file under `root`, by URL path; empty when the dashboard was not built. */
export function loadWebAssets(root: string): Map<string, StaticFile> {
  const files = new Map<string, StaticFile>();
  if (!existsSync(join(root, 'index.html')) || !statSync(root).isDirectory()) return files;
  for (const path of walk(root)) {
    const urlPath = `/${relative(root, path).split(sep).join('/')}`;
    const type = contentTypes[extname(path).toLowerCase()] ?? 'application/octet-stream';
    const body = readFileSync(path);
    // Vite names every file under assets/ by its content hash: it never changes under that name.
    const cacheControl = urlPath.startsWith('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache';
    const compressible = /^(text\/|application\/(json|manifest)|image\/svg)/.test(type) && body.length > 1024;
    files.set(urlPath, { body, type, cacheControl, ...(compressible ? { gzip: gzipSync(body) } : {}) });
  }
  return files;
}

function isApiPath(path: string): boolean {
  return apiPrefixes.some((prefix) => path === prefix || path.startsWith(`${prefix}/`));
}

const notBuiltPage = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Arbiter — dashboard not built</title></head>
<style>body { font-family: system-ui, sans-serif; max-width: 40rem; margin: 4rem auto; line-height: 1.5; color: #1b1f24 }</style>
<body>
<h1>The dashboard is not built</h1>
<p>This Arbiter server is running, and its API answers under <code>/v1</code>
(<a href="/openapi.json">OpenAPI</a>), but the web dashboard's files were not found.</p>
<p>Build them with <code>npm run build</code> (which runs <code>vite build</code> into <code>dist/web/</code>)
and restart <code>arbiter serve</code>.</p>
</body></html>
`;

const notBuiltPolicy = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'";

function send(request: FastifyRequest, reply: FastifyReply, file: StaticFile): FastifyReply {
  const gzip = file.gzip && /\bgzip\b/.test(String(request.headers['accept-encoding'] ?? ''));
  reply.headers({ ...securityHeaders, 'cache-control': file.cacheControl, vary: 'accept-encoding' });
  if (gzip) reply.header('content-encoding', 'gzip');
  return reply.type(file.type).send(gzip ? file.gzip : file.body);
}

/**
 * Registers the dashboard routes. Real routes (the API, /metrics, /openapi.json, …) always win:
 * this is a wildcard, the lowest-priority match, and it refuses API paths itself.
 */
export function webRoutes(app: FastifyInstance, root: string = defaultWebRoot): void {
  const files = loadWebAssets(root);
  const index = files.get('/index.html');

  app.get('/*', { schema: { hide: true } }, async (request, reply) => {
    const path = request.url.split('?')[0]!;
    if (isApiPath(path)) throw new ArbiterError('ARB_ERR_NOT_FOUND', `no route GET ${path}`);
    if (!index)
      return reply
        .code(404)
        .headers({
          ...securityHeaders,
          'content-security-policy': notBuiltPolicy,
          'cache-control': 'no-cache',
        })
        .type('text/html; charset=utf-8')
        .send(notBuiltPage);
    let decoded: string;
    try {
      decoded = decodeURIComponent(path);
    } catch {
      decoded = path;
    }
    const file = files.get(decoded);
    if (file) return send(request, reply, file);
    // A missing asset is a 404, not the app: a stale page asking for an old bundle must fail visibly.
    // (Client routes may hold dots, e.g. System ids, so only known file types count as files.)
    if (decoded.startsWith('/assets/') || contentTypes[extname(decoded).toLowerCase()])
      throw new ArbiterError('ARB_ERR_NOT_FOUND', `no file ${decoded}`);
    return send(request, reply, index);
  });
}
