import net from 'node:net';

/**
 * A TCP proxy on loopback that a test can cut, as a network cut would: every connection through
 * it ends at once, and new ones go to whichever target is set then (another gateway instance).
 */
export class CuttableProxy {
  private readonly sockets = new Set<net.Socket>();
  private refusing = false;

  private constructor(
    private readonly server: net.Server,
    private target: number,
  ) {}

  static async start(targetPort: number): Promise<CuttableProxy> {
    const server = net.createServer();
    const proxy = new CuttableProxy(server, targetPort);
    server.on('connection', (client) => proxy.pipe(client));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return proxy;
  }

  get port(): number {
    return (this.server.address() as net.AddressInfo).port;
  }

  /** Connections through the proxy right now. */
  get open(): number {
    return this.sockets.size / 2;
  }

  /** The gateway URL as clients of the proxy see it. */
  url(path = '/graphql'): string {
    return `http://127.0.0.1:${this.port}${path}`;
  }

  /** New connections go to this port from now on. */
  retarget(port: number): void {
    this.target = port;
  }

  /** While down, new connections are dropped at once, as to a host that is gone. */
  down(): void {
    this.refusing = true;
    this.cut();
  }

  up(): void {
    this.refusing = false;
  }

  /** Ends every connection through the proxy at once (a reset, not a close handshake). */
  cut(): void {
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
  }

  private pipe(client: net.Socket): void {
    if (this.refusing) {
      client.destroy();
      return;
    }
    const upstream = net.connect(this.target, '127.0.0.1');
    for (const s of [client, upstream]) {
      this.sockets.add(s);
      s.on('error', () => undefined);
      s.on('close', () => {
        this.sockets.delete(s);
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream);
    upstream.pipe(client);
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise((resolve) => this.server.close(resolve));
  }
}
