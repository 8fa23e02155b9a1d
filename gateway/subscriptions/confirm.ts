import type { WebSocket } from 'ws';
import { SERVICE_RESTART } from '../../platform/http/subscriptions.js';
import type { Positions } from './positions.js';

const PING_PREFIX = 'dpv-confirm:';

/**
 * Learns what one client has received: after events go out, a WebSocket ping follows them on
 * the same socket, and its pong (which every WebSocket client answers by itself) comes back only
 * once the client has read everything sent before it. Then each subscription's last event sent
 * before that ping counts as received, and its position is confirmed.
 *
 * The close handshake confirms too: when the gateway shuts down it closes each socket with 1012
 * after the last event it hands out, and a client answers that close frame only once it has
 * read what came before it. So a client that echoes the 1012 has received everything sent.
 */
export class Confirmer {
  /** Since the last ping: each subscription's last event sent. */
  private sent = new Map<string, string>();
  /** One entry per ping awaiting its pong, in order. */
  private readonly awaiting: Array<{ seq: number; sent: Map<string, string> }> = [];
  /** Subscriptions not sent an event yet: where each starts. */
  private readonly starts = new Map<string, string>();
  private seq = 0;
  private timer: NodeJS.Timeout | undefined;
  /** Our pings carry their number; others (graphql-ws's keep-alive) carry none and are ignored. */
  private readonly onPong = (data: Buffer) => {
    const text = data.toString('latin1');
    if (!text.startsWith(PING_PREFIX)) return;
    const seq = Number(text.slice(PING_PREFIX.length));
    while (this.awaiting.length > 0 && this.awaiting[0]!.seq <= seq) {
      for (const [key, cursor] of this.awaiting.shift()!.sent) this.positions.confirm(key, cursor);
    }
  };

  /** The socket closed: after a 1012 of ours that the client answered, all it was sent counts. */
  private readonly onClose = (code: number) => {
    if (code !== SERVICE_RESTART || !this.restarting()) return;
    for (const { sent } of this.awaiting.splice(0)) {
      for (const [key, cursor] of sent) this.positions.confirm(key, cursor);
    }
    for (const [key, cursor] of this.sent) this.positions.confirm(key, cursor);
    this.sent.clear();
    // Sent nothing: the next instance starts where this subscription started, not at its own now.
    for (const [key, cursor] of this.starts) this.positions.confirm(key, cursor);
  };

  constructor(
    private readonly socket: WebSocket,
    private readonly positions: Positions,
    /** True once the gateway has begun closing its sockets with 1012. */
    private readonly restarting: () => boolean = () => false,
    /** How soon after an event its ping follows, in ms. */
    private readonly delayMs = 50,
  ) {
    socket.on('pong', this.onPong);
    // Before graphql-ws's own listener, which ends the connection and writes its positions.
    socket.prependOnceListener('close', this.onClose);
  }

  /** Subscription `key` starts after `cursor` (the subgraph says so before its first event). */
  started(key: string, cursor: string): void {
    this.starts.set(key, cursor);
  }

  /** The event at `cursor` of subscription `key` has been handed to the socket. */
  sentEvent(key: string, cursor: string): void {
    this.starts.delete(key);
    this.sent.set(key, cursor);
    this.timer ??= setTimeout(() => this.ping(), this.delayMs);
  }

  private ping(): void {
    this.timer = undefined;
    if (this.sent.size === 0 || this.socket.readyState !== this.socket.OPEN) return;
    // Bounded: a client that stops answering has its pings coalesced, not queued without end.
    if (this.awaiting.length >= 100) {
      this.timer = setTimeout(() => this.ping(), this.delayMs * 10);
      return;
    }
    const seq = ++this.seq;
    this.awaiting.push({ seq, sent: this.sent });
    this.sent = new Map();
    this.socket.ping(`${PING_PREFIX}${seq}`);
  }

  close(): void {
    clearTimeout(this.timer);
    this.socket.off('pong', this.onPong);
    this.socket.off('close', this.onClose);
  }
}
