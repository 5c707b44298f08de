/**
 * A TCP relay in front of a test Redis, so one node of a fleet can be cut
 * off from Redis while the others keep their connections (a network
 * partition, which stopping the server itself cannot show).
 */
import { createConnection, createServer, type Socket } from 'node:net';

/** A running relay. */
export interface TcpProxy {
  readonly port: number;
  /** `redis://127.0.0.1:<port>`: give this to the node to be cut off. */
  readonly url: string;
  /** Drops every relayed connection and resets new ones until {@link restore}. */
  cut(): void;
  /** Relays connections again (and replies, after {@link holdReplies}). */
  restore(): void;
  /** Keeps relaying commands to Redis but drops its replies: a command runs, its caller never hears. */
  holdReplies(): void;
  /** Drops every relayed connection; new ones go to `127.0.0.1:<port>` (an endpoint moved to a promoted replica). */
  retarget(port: number): void;
  close(): Promise<void>;
}

/** Starts a relay on a free 127.0.0.1 port to `127.0.0.1:<targetPort>`. */
export async function startTcpProxy(targetPort: number): Promise<TcpProxy> {
  let target = targetPort;
  const open = new Set<Socket>();
  let isCut = false;
  let holding = false;
  const server = createServer((client) => {
    if (isCut) {
      client.resetAndDestroy();
      return;
    }
    const upstream = createConnection({ host: '127.0.0.1', port: target });
    open.add(client).add(upstream);
    const drop = () => {
      client.destroy();
      upstream.destroy();
      open.delete(client);
      open.delete(upstream);
    };
    for (const socket of [client, upstream]) {
      socket.on('error', drop);
      socket.on('close', drop);
    }
    client.pipe(upstream);
    upstream.on('data', (chunk: Buffer) => {
      if (!holding) client.write(chunk);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    cut() {
      isCut = true;
      for (const socket of open) socket.resetAndDestroy();
      open.clear();
    },
    restore() {
      isCut = false;
      holding = false;
    },
    holdReplies() {
      holding = true;
    },
    retarget(next) {
      target = next;
      for (const socket of open) socket.destroy();
      open.clear();
    },
    close() {
      for (const socket of open) socket.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
