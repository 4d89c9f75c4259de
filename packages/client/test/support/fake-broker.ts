/**
 * A small in-process STOMP server built on the codec, speaking the Stompbox recovery
 * contract (docs/recovery.md) so that the SDK's side of recovery can be tested before
 * and apart from the real broker: per-destination history with an epoch and positions,
 * `stompbox-resume` on SUBSCRIBE answered on its RECEIPT, replay then live. Tests
 * control it directly: `publish()`, `dropAll()`, `newEpoch()`, `trim()`. It records every
 * frame it receives in `frames`. Not a test file.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { StompDecoder, encodeFrame, getHeader, utf8Decode, type Frame } from '@stompbox/stomp-codec';

interface Sub {
  socket: Socket;
  id: string;
  destination: string;
}

export interface Received {
  command: string;
  headers: string[];
  body: string;
}

export class FakeBroker {
  readonly frames: Received[] = [];
  epoch = 'e1';
  /** destination -> messages in order; positions start after `base`. */
  private readonly history = new Map<string, { base: number; bodies: string[] }>();
  private readonly subs: Sub[] = [];
  private readonly sockets = new Set<Socket>();
  private server!: Server;
  port = 0;
  /** Replay from this position instead of the one asked (a broker that sends duplicates). */
  replayFrom: number | undefined;

  async start(): Promise<void> {
    this.server = createServer((socket) => this.accept(socket));
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.port = (this.server.address() as { port: number }).port;
  }

  async stop(): Promise<void> {
    this.dropAll();
    await new Promise<void>((r) => this.server.close(() => r()));
  }

  private log(dest: string) {
    let h = this.history.get(dest);
    if (!h) this.history.set(dest, (h = { base: 0, bodies: [] }));
    return h;
  }

  last(dest: string): number {
    const h = this.log(dest);
    return h.base + h.bodies.length;
  }

  /** Appends to the destination's history and delivers to its subscribers. */
  publish(dest: string, body: string): number {
    const h = this.log(dest);
    h.bodies.push(body);
    const position = this.last(dest);
    for (const s of this.subs) if (s.destination === dest) this.deliver(s, position, body);
    return position;
  }

  /** History lost (a broker restarted without its store): a new epoch, positions from 0. */
  newEpoch(epoch: string): void {
    this.epoch = epoch;
    this.history.clear();
  }

  /** Keeps only the last `keep` messages of `dest`. */
  trim(dest: string, keep: number): void {
    const h = this.log(dest);
    const cut = Math.max(0, h.bodies.length - keep);
    h.base += cut;
    h.bodies.splice(0, cut);
  }

  dropAll(): void {
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
    this.subs.length = 0;
  }

  get connections(): number {
    return this.sockets.size;
  }

  private send(socket: Socket, command: string, headers: string[], body?: string): void {
    socket.write(encodeFrame(command, headers, body, { version: '1.2' }));
  }

  private deliver(s: Sub, position: number, body: string): void {
    this.send(
      s.socket,
      'MESSAGE',
      ['destination', s.destination, 'subscription', s.id, 'message-id', `m-${position}`, 'stompbox-epoch', this.epoch, 'stompbox-position', String(position)],
      body,
    );
  }

  private accept(socket: Socket): void {
    this.sockets.add(socket);
    socket.on('close', () => {
      this.sockets.delete(socket);
      for (let i = this.subs.length - 1; i >= 0; i--) if (this.subs[i].socket === socket) this.subs.splice(i, 1);
    });
    socket.on('error', () => undefined);
    const decoder: StompDecoder = new StompDecoder({
      onFrame: (f) => {
        this.frame(socket, f);
        // STOMP 1.2 from CONNECTED on: header values are escaped (`:` is `\c`).
        if (f.command === 'CONNECT' || f.command === 'STOMP') decoder.version = '1.2';
      },
    });
    socket.on('data', (d: Uint8Array) => decoder.push(d));
  }

  private frame(socket: Socket, f: Frame): void {
    this.frames.push({ command: f.command, headers: [...f.headers], body: utf8Decode(f.body) });
    const h = (n: string) => getHeader(f.headers, n);
    const receipt = h('receipt');
    const extra: string[] = [];
    switch (f.command) {
      case 'CONNECT':
      case 'STOMP':
        return this.send(socket, 'CONNECTED', ['version', '1.2', 'heart-beat', '0,0', 'server', 'fake']);
      case 'SEND':
        this.publish(h('destination') ?? '', utf8Decode(f.body));
        break;
      case 'SUBSCRIBE': {
        const dest = h('destination') ?? '';
        const sub = { socket, id: h('id') ?? '', destination: dest };
        const resume = h('stompbox-resume');
        const last = this.last(dest);
        let replay: number | undefined;
        if (resume !== undefined) {
          const colon = resume.lastIndexOf(':');
          const epoch = resume.slice(0, colon);
          const after = Number(resume.slice(colon + 1));
          const base = this.log(dest).base;
          let reason: string | undefined;
          if (/[*#]/.test(dest)) reason = 'wildcard';
          else if (epoch !== this.epoch) reason = 'epoch-changed';
          else if (after < base) reason = 'history-too-short';
          if (reason) extra.push('stompbox-resume', 'unavailable', 'stompbox-reason', reason);
          else {
            extra.push('stompbox-resume', 'ok');
            replay = this.replayFrom ?? after;
          }
          extra.push('stompbox-epoch', this.epoch, 'stompbox-position', String(last));
        }
        if (receipt) this.send(socket, 'RECEIPT', ['receipt-id', receipt, ...extra]);
        if (replay !== undefined) {
          const hist = this.log(dest);
          for (let p = replay + 1; p <= last; p++) this.deliver(sub, p, hist.bodies[p - hist.base - 1]);
        }
        this.subs.push(sub);
        return;
      }
      case 'DISCONNECT':
        if (receipt) this.send(socket, 'RECEIPT', ['receipt-id', receipt]);
        socket.end();
        return;
    }
    if (receipt) this.send(socket, 'RECEIPT', ['receipt-id', receipt]);
  }
}
