/**
 * A module's static files (CSS, scripts, logos), read once when the route is made and served
 * from memory (Prosody's net.http.files, simplified): no path from a request ever reaches the
 * file system, so there is nothing to traverse.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import type { HttpReply, HttpRequest, RouteHandler } from './types.js';

const TYPES: Record<string, string> = {
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
};

export interface StaticAsset {
  body: Buffer;
  type: string;
  etag: string;
}

/** Every file under `dir` with a known type, keyed by its path relative to `dir` (`/`-separated). */
export function loadAssets(dir: string, prefix = ''): Map<string, StaticAsset> {
  const assets = new Map<string, StaticAsset>();
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const rel = prefix + entry.name;
    if (entry.isDirectory()) {
      for (const [k, v] of loadAssets(join(dir, entry.name), `${rel}/`)) assets.set(k, v);
      continue;
    }
    const type = TYPES[extname(entry.name).toLowerCase()];
    if (!entry.isFile() || type === undefined) continue;
    const body = readFileSync(join(dir, entry.name));
    assets.set(rel, { body, type, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"` });
  }
  return assets;
}

/** `GET <prefix>/*`: the asset named by `request.rest`, with a day of caching and revalidation by ETag. */
export function serveAsset(assets: ReadonlyMap<string, StaticAsset>, request: HttpRequest): HttpReply | number {
  const asset = assets.get(request.rest);
  if (!asset) return 404;
  const headers = {
    'Content-Type': asset.type,
    'Cache-Control': 'public, max-age=86400',
    ETag: asset.etag,
    'X-Content-Type-Options': 'nosniff',
    // An SVG opened on its own is a document; it gets no scripts and no outside resources.
    'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'",
  };
  const match = request.headers['if-none-match'];
  if (match !== undefined && match.split(',').some((tag) => tag.trim().replace(/^W\//, '') === asset.etag)) {
    return { status: 304, headers };
  }
  return { status: 200, headers, body: asset.body };
}

/** A handler for `"GET /prefix/*"` routes serving every file under `dir`. */
export function staticFiles(dir: string): RouteHandler {
  const assets = loadAssets(dir);
  return (request) => serveAsset(assets, request);
}
