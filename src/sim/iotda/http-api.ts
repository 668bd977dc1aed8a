/**
 * JSON HTTP API and web console of the IoTDA emulator (node:http, no framework).
 *   GET  /                                  console page
 *   GET  /vendor/uPlot.*                    the chart library the console uses (console-assets.ts)
 *   GET  /api/info                          ports, URLs, CA certificate path
 *   GET  /api/ca.pem                        the generated CA (404 without TLS)
 *   GET  /api/devices                       all devices with online state and latest properties
 *   POST /api/devices                       {deviceId, secret, productId?}
 *   GET  /api/devices/:id                   one device with history
 *   DELETE /api/devices/:id                 removes the device (and drops its connection)
 *   POST /api/devices/:id/freeze            {frozen: boolean}
 *   POST /api/devices/:id/messages          {content, raw?}
 *   POST /api/devices/:id/commands          {service_id?, command_name?, paras, timeoutMs?} → waits for the reply
 *   POST /api/devices/:id/properties/set    {services, timeoutMs?}
 *   POST /api/devices/:id/properties/get    {service_id?, timeoutMs?}
 *   POST /api/devices/:id/events            {services}
 *   GET  /api/events                        server-sent events, one per emulator event
 * Access (http-access.ts): Host and Origin must name this listener (403), POST bodies must be
 * application/json (415), a malformed URL is 400, and with a token every /api/ request carries
 * `Authorization: Bearer <token>` (401 otherwise; the console takes it from `#token=` in its URL).
 */
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { serveConsoleAsset } from './console-assets';
import type { IotdaEmulator } from './emulator';
import { HttpError, checkHostAndOrigin, checkJsonBody, checkToken } from './http-access';

export interface HttpApiOptions {
  /** When set, every /api/ request must carry it (see http-access.ts). */
  token?: string;
}

const BODY_LIMIT = 300 * 1024;

async function readJson(req: http.IncomingMessage): Promise<Record<string, unknown>> {
  checkJsonBody(req);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    // Downlink bodies are capped at 256 KB by the platform; allow some envelope.
    if (size > BODY_LIMIT) throw new HttpError(413, 'request body too large');
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (!text) return {};
  try {
    const v = JSON.parse(text);
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error('not an object');
    return v as Record<string, unknown>;
  } catch (err) {
    throw new HttpError(400, `body is not a JSON object: ${(err as Error).message}`);
  }
}

function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  res.end(text);
}

const optionalTimeout = (v: unknown) => (typeof v === 'number' && v > 0 ? { timeoutMs: v } : {});

function parseUrl(raw: string): { url: URL; parts: string[] } {
  try {
    const url = new URL(raw, 'http://emulator');
    return { url, parts: url.pathname.split('/').filter(Boolean).map(decodeURIComponent) };
  } catch (err) {
    throw new HttpError(400, `malformed URL: ${(err as Error).message}`);
  }
}

export function createHttpApi(emu: IotdaEmulator, opts: HttpApiOptions = {}): http.Server {
  const consolePath = path.join(__dirname, 'console.html');

  async function route(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const { url, parts } = parseUrl(req.url ?? '/');
    const method = req.method ?? 'GET';
    checkHostAndOrigin(req, emu.host, emu.httpPort);

    if (method === 'GET' && (url.pathname === '/' || url.pathname === '/index.html')) {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(fs.readFileSync(consolePath));
      return;
    }
    if (method === 'GET' && serveConsoleAsset(url.pathname, res)) return;
    if (parts[0] !== 'api') throw new HttpError(404, 'not found');
    checkToken(req, url, opts.token, method === 'GET' && parts[1] === 'events' && parts.length === 2);

    if (method === 'GET' && parts[1] === 'info' && parts.length === 2) {
      return sendJson(res, 200, {
        mqttUrl: emu.mqttUrl,
        mqttPort: emu.mqttPort,
        tlsPort: emu.tlsPort ?? null,
        httpUrl: emu.url,
        caCertPath: emu.caCertPath ?? null,
        commandTimeoutMs: emu.commandTimeoutMs,
      });
    }
    if (method === 'GET' && parts[1] === 'ca.pem' && parts.length === 2) {
      if (!emu.caCertPem) throw new HttpError(404, 'TLS is not enabled');
      res.writeHead(200, { 'content-type': 'application/x-pem-file' });
      res.end(emu.caCertPem);
      return;
    }
    if (method === 'GET' && parts[1] === 'events' && parts.length === 2) {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
      res.write(': connected\n\n');
      const off = emu.onEvent((e) => res.write(`event: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`));
      req.on('close', off);
      return;
    }
    if (parts[1] !== 'devices') throw new HttpError(404, 'not found');

    if (parts.length === 2) {
      if (method === 'GET') return sendJson(res, 200, emu.listDevices());
      if (method === 'POST') {
        const b = await readJson(req);
        try {
          return sendJson(res, 201, emu.addDevice({
            deviceId: String(b.deviceId ?? ''),
            secret: String(b.secret ?? ''),
            productId: typeof b.productId === 'string' ? b.productId : undefined,
            customTopics: Array.isArray(b.customTopics) ? b.customTopics.map(String) : undefined,
          }));
        } catch (err) {
          throw new HttpError(400, (err as Error).message);
        }
      }
      throw new HttpError(405, 'method not allowed');
    }

    const deviceId = parts[2];
    if (!emu.getDevice(deviceId)) throw new HttpError(404, `unknown device ${deviceId}`);
    const action = parts.slice(3).join('/');
    if (method === 'GET' && action === '') return sendJson(res, 200, emu.getDevice(deviceId));
    if (method === 'DELETE' && action === '') return sendJson(res, 200, { removed: emu.removeDevice(deviceId) });
    if (method !== 'POST') throw new HttpError(405, 'method not allowed');
    const b = await readJson(req);
    switch (action) {
      case 'freeze':
        emu.freezeDevice(deviceId, b.frozen !== false);
        return sendJson(res, 200, emu.getDevice(deviceId));
      case 'messages':
        return sendJson(res, 200, emu.sendMessage(deviceId, b.content, { raw: b.raw === true }));
      case 'commands': {
        if (b.paras !== undefined && (typeof b.paras !== 'object' || b.paras === null || Array.isArray(b.paras))) {
          throw new HttpError(400, 'paras must be a JSON object');
        }
        const command = {
          service_id: typeof b.service_id === 'string' ? b.service_id : undefined,
          command_name: typeof b.command_name === 'string' ? b.command_name : undefined,
          paras: (b.paras ?? {}) as Record<string, unknown>,
        };
        return sendJson(res, 200, await emu.sendCommand(deviceId, command, optionalTimeout(b.timeoutMs)));
      }
      case 'properties/set':
        if (!Array.isArray(b.services)) throw new HttpError(400, 'services must be an array');
        return sendJson(res, 200, await emu.setProperties(deviceId, b.services as never, optionalTimeout(b.timeoutMs)));
      case 'properties/get':
        return sendJson(res, 200, await emu.getProperties(deviceId, typeof b.service_id === 'string' ? b.service_id : undefined, optionalTimeout(b.timeoutMs)));
      case 'events':
        if (!Array.isArray(b.services)) throw new HttpError(400, 'services must be an array');
        return sendJson(res, 200, { delivered: emu.sendEvent(deviceId, b.services as never) });
      default:
        throw new HttpError(404, 'not found');
    }
  }

  return http.createServer((req, res) => {
    route(req, res).catch((err: unknown) => {
      const status = err instanceof HttpError ? err.status : 500;
      if (!res.headersSent) sendJson(res, status, { error: (err as Error).message });
      else res.end();
    });
  });
}
