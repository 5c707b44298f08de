/**
 * The HTTP side of a WebSocket upgrade: whether a request is a handshake
 * `ws` would accept (only those are admitted, so a malformed one never puts
 * anyone on the roster), and answering one that is refused on the raw socket.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';

// What `ws` itself checks before upgrading (RFC 6455 §4.2.1); it answers anything else with 400 or 405.
const KEY = /^[+/0-9A-Za-z]{22}==$/;

/** True when `req` is a WebSocket handshake `ws` would go on to upgrade. */
export function isHandshake(req: IncomingMessage): boolean {
  const headers = req.headers;
  const upgrade = headers.upgrade;
  const key = headers['sec-websocket-key'];
  const version = headers['sec-websocket-version'];
  return (
    req.method === 'GET' &&
    typeof upgrade === 'string' &&
    upgrade.toLowerCase() === 'websocket' &&
    typeof key === 'string' &&
    KEY.test(key) &&
    (version === '13' || version === '8')
  );
}

const REASON_PHRASES: Record<number, string> = {
  400: 'Bad Request',
  403: 'Forbidden',
  451: 'Unavailable For Legal Reasons',
  500: 'Internal Server Error',
};

/**
 * Answer an upgrade with an HTTP status and a JSON body, then close the
 * connection: the client never gets a WebSocket. Header values that would
 * break the response (CR, LF) are left out rather than written.
 */
export function answerUpgrade(socket: Duplex, status: number, headers: Readonly<Record<string, string>>, body: object): void {
  if (socket.destroyed || !socket.writable) {
    socket.destroy();
    return;
  }
  const text = JSON.stringify(body);
  const lines = [`HTTP/1.1 ${status} ${REASON_PHRASES[status] ?? 'Error'}`, 'Connection: close'];
  for (const [name, value] of Object.entries(headers)) {
    if (!/[\r\n]/.test(name) && !/[\r\n]/.test(value)) lines.push(`${name}: ${value}`);
  }
  lines.push(`Content-Length: ${Buffer.byteLength(text)}`);
  socket.once('finish', () => socket.destroy());
  socket.end(`${lines.join('\r\n')}\r\n\r\n${text}`);
}
