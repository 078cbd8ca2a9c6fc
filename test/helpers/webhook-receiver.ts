import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

/** One request the receiver got: its path, headers and body. */
export interface Received {
  path: string;
  headers: Record<string, string>;
  body: string;
}

export type Answer = (path: string, n: number, req: IncomingMessage, res: ServerResponse) => void;

/** A real HTTP receiver on 127.0.0.1 whose answer per path the test decides (200 "ok" unless told). */
export async function startReceiver() {
  const received: Received[] = [];
  const open = new Set<string>();
  let answer: Answer = (_p, _n, _req, res) => res.end('ok');
  const server: Server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => {
      const path = req.url ?? '/';
      received.push({ path, headers: req.headers as Record<string, string>, body });
      open.add(path);
      res.on('close', () => open.delete(path));
      answer(path, received.filter((r) => r.path === path).length, req, res);
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as AddressInfo).port;
  return {
    received,
    open,
    url: (path: string) => `http://127.0.0.1:${port}${path}`,
    port,
    answer(fn: Answer) {
      answer = fn;
    },
    async close() {
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
}

export type Receiver = Awaited<ReturnType<typeof startReceiver>>;

/** Verifies a delivery with the Standard Webhooks library (the specification's own code); throws if the signature is wrong. */
export function verify(secret: string, r: Received) {
  return new Webhook(secret).verify(r.body, r.headers) as { type: string; timestamp: string; data: Record<string, unknown> };
}
