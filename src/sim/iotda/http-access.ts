/**
 * Who may use the emulator's HTTP API (issue 14 item 3). A web page on another site must not be
 * able to drive it: cross-site requests carry a foreign Origin (refused), DNS rebinding carries a
 * foreign Host (refused), and a form or `text/plain` POST cannot set `application/json` without a
 * CORS preflight the emulator never answers (so every POST must be JSON). An optional token guards
 * the API when the listener is reachable from other hosts.
 */
import * as crypto from 'node:crypto';
import type * as http from 'node:http';

export class HttpError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);
const WILDCARD = new Set(['0.0.0.0', '::', '']);

export const isLoopbackHost = (host: string): boolean => LOOPBACK.has(host) || /^127\./.test(host);

const bracketed = (host: string): string => (host.includes(':') ? `[${host}]` : host);

/** True when a Host header value names this listener (its address, or any loopback name for a loopback listener). */
export function hostMatchesListener(hostHeader: string, listenHost: string, port: number): boolean {
  const value = hostHeader.toLowerCase();
  if (!value.endsWith(`:${port}`)) return false;
  // A wildcard listener answers on every address of the machine; the token (required then) guards it.
  if (WILDCARD.has(listenHost)) return true;
  const names = isLoopbackHost(listenHost) ? ['localhost', '127.0.0.1', '[::1]', bracketed(listenHost)] : [bracketed(listenHost)];
  return names.some((n) => value === `${n.toLowerCase()}:${port}`);
}

/** Refuses a request whose Host is not this listener or whose Origin is another site. */
export function checkHostAndOrigin(req: http.IncomingMessage, listenHost: string, port: number): void {
  const host = req.headers.host ?? '';
  if (!hostMatchesListener(host, listenHost, port)) throw new HttpError(403, `Host ${host || '(none)'} is not this emulator`);
  const origin = req.headers.origin;
  // Tools (curl, scripts) send no Origin; a browser sends one on cross-site and on POST requests.
  if (origin !== undefined && origin.toLowerCase() !== `http://${host.toLowerCase()}`) {
    throw new HttpError(403, `Origin ${origin} is not this emulator`);
  }
}

/** Every POST body must be declared JSON. */
export function checkJsonBody(req: http.IncomingMessage): void {
  const type = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
  if (type !== 'application/json') throw new HttpError(415, `send the body as application/json, not ${type || 'no content type'}`);
}

const digest = (s: string): Buffer => crypto.createHash('sha256').update(s).digest();

/**
 * The token from `Authorization: Bearer <token>`, or from `?token=` on the event stream (a
 * browser's EventSource cannot set headers). Compared in constant time.
 */
export function checkToken(req: http.IncomingMessage, url: URL, token: string | undefined, isEventStream: boolean): void {
  if (!token) return;
  const auth = /^Bearer (.+)$/i.exec(req.headers.authorization ?? '');
  const given = auth?.[1] ?? (isEventStream ? url.searchParams.get('token') ?? '' : '');
  if (!crypto.timingSafeEqual(digest(given), digest(token))) throw new HttpError(401, 'missing or wrong token');
}
