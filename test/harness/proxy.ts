import http from 'node:http';
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

/**
 * A load balancer on loopback in front of several instances, as an orchestrator's would be: it
 * asks each instance's `/ready` every `checkEveryMs` and sends each new connection to the next
 * ready one in turn. An instance that refuses the connection is passed over for the next ready
 * one (a balancer's retry of a connect that failed); with none left the client's connection is
 * dropped. A connection stays with its instance until one side ends it.
 */
export class BalancingProxy {
  /** Per connection, in the order they came: the port it was sent to (undefined: dropped). */
  readonly sent: Array<number | undefined> = [];
  private readonly ready = new Map<number, boolean>();
  private readonly sockets = new Set<net.Socket>();
  private next = 0;
  private readonly checker: NodeJS.Timeout;

  private constructor(
    private readonly server: net.Server,
    private readonly targets: readonly number[],
    checkEveryMs: number,
  ) {
    for (const port of targets) this.ready.set(port, false);
    this.checker = setInterval(() => void this.check(), checkEveryMs);
  }

  static async start(targets: readonly number[], checkEveryMs = 100): Promise<BalancingProxy> {
    const server = net.createServer({ pauseOnConnect: true });
    const proxy = new BalancingProxy(server, targets, checkEveryMs);
    server.on('connection', (client) => proxy.pipe(client));
    await proxy.check();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return proxy;
  }

  get port(): number {
    return (this.server.address() as net.AddressInfo).port;
  }

  url(path = '/graphql'): string {
    return `http://127.0.0.1:${this.port}${path}`;
  }

  /** Whether the last check found `port` ready. */
  isReady(port: number): boolean {
    return this.ready.get(port) ?? false;
  }

  private async check(): Promise<void> {
    await Promise.all(
      this.targets.map(async (port) => {
        const ok = await new Promise<boolean>((resolve) => {
          const req = http.get({ host: '127.0.0.1', port, path: '/ready', agent: false }, (res) => {
            res.resume();
            resolve(res.statusCode === 200);
          });
          req.setTimeout(1_000, () => req.destroy());
          req.on('error', () => resolve(false));
        });
        this.ready.set(port, ok);
      }),
    );
  }

  private pipe(client: net.Socket): void {
    const index = this.sent.push(undefined) - 1;
    this.sockets.add(client);
    client.on('error', () => undefined);
    client.once('close', () => this.sockets.delete(client));
    const candidates = [...this.targets.keys()]
      .map((i) => this.targets[(this.next + i) % this.targets.length]!)
      .filter((port) => this.isReady(port));
    this.next = (this.next + 1) % this.targets.length;
    const attempt = (rest: number[]) => {
      const port = rest[0];
      if (port === undefined || client.destroyed) {
        client.destroy();
        return;
      }
      const upstream = net.connect(port, '127.0.0.1');
      let connected = false;
      upstream.on('error', () => {
        if (!connected) attempt(rest.slice(1));
      });
      upstream.once('connect', () => {
        connected = true;
        this.sent[index] = port;
        for (const s of [client, upstream]) {
          this.sockets.add(s);
          s.on('close', () => {
            this.sockets.delete(s);
            client.destroy();
            upstream.destroy();
          });
        }
        client.pipe(upstream);
        upstream.pipe(client);
        client.resume();
      });
    };
    attempt(candidates);
  }

  async close(): Promise<void> {
    clearInterval(this.checker);
    for (const s of this.sockets) s.destroy();
    await new Promise((resolve) => this.server.close(resolve));
  }
}
