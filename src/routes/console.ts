// GET /console: the browser console (docs/console.md), hand-written static files read once when the
// app is built. Only the files named here are served, each at its own fixed route, so no part of a
// request's path ever reaches the file system. Every answer carries the console's security headers:
// scripts, styles and connections from this origin only, no inline code, no frames, no form posting
// anywhere, so agent output shown on the page can never become code, even if a rendering bug let it in.
import { createHash } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'

const STATIC_DIR = new URL('../console/static/', import.meta.url)

/** Every file of the console and its content type; `index.html` is the page at /console itself. */
export const CONSOLE_FILES: Readonly<Record<string, string>> = {
  'index.html': 'text/html; charset=utf-8',
  'console.css': 'text/css; charset=utf-8',
  'app.js': 'text/javascript; charset=utf-8',
  'api.js': 'text/javascript; charset=utf-8',
  'auth.js': 'text/javascript; charset=utf-8',
  'dom.js': 'text/javascript; charset=utf-8',
  'format.js': 'text/javascript; charset=utf-8',
  'theme.js': 'text/javascript; charset=utf-8',
  'event-stream.js': 'text/javascript; charset=utf-8',
  'sign-in.js': 'text/javascript; charset=utf-8',
  'runs-list.js': 'text/javascript; charset=utf-8',
  'new-run.js': 'text/javascript; charset=utf-8',
  'run-view.js': 'text/javascript; charset=utf-8',
  'conversation.js': 'text/javascript; charset=utf-8',
  'run-actions.js': 'text/javascript; charset=utf-8'
}

// Trusted Types on top: a DOM sink that parses HTML (innerHTML and the like) throws instead of running.
export const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "connect-src 'self'",
  "img-src 'self' data:",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
  "require-trusted-types-for 'script'",
  "trusted-types 'none'"
].join('; ')

export const CONSOLE_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': CONSOLE_CSP,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  // Names are not versioned, so a browser asks again each time; the ETag makes that a 304.
  'cache-control': 'no-cache'
}

interface StaticFile { body: Buffer, type: string, etag: string }

export default async function consoleRoute (app: FastifyInstance): Promise<void> {
  const files = new Map<string, StaticFile>()
  for (const [name, type] of Object.entries(CONSOLE_FILES)) {
    const body = await readFile(new URL(name, STATIC_DIR))
    files.set(name, { body, type, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"` })
  }

  const serve = (file: StaticFile) => async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> => {
    void reply.headers({ ...CONSOLE_HEADERS, etag: file.etag })
    if (request.headers['if-none-match'] === file.etag) return reply.code(304).send()
    return reply.type(file.type).send(file.body)
  }

  for (const [name, file] of files) {
    app.get(name === 'index.html' ? '/console' : `/console/${name}`, { schema: { hide: true } }, serve(file))
  }
  // The page's relative links resolve from /console, not /console/.
  app.get('/console/', { schema: { hide: true } }, async (_request, reply) => reply.redirect('../console', 308))
}
