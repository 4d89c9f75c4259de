/**
 * The RECEIPT of a SEND goes out before the sender's own copy of the message.
 *
 * A client that SENDs with a `receipt` to a destination it is itself subscribed to
 * would otherwise read the MESSAGE first, and the RECEIPT after it (at once for a plain
 * message, a disk commit later for a persistent one). STOMP 1.2 does not order the two,
 * and RabbitMQ answers in either order, but clients that wait for a receipt by reading
 * the very next frame fail on it: Perl's Net::Stomp `send_with_receipt` returns false,
 * php-stomp's `send()` returns false or waits forever (docs/compatibility.md).
 *
 * While a message this connection published awaits its RECEIPT, deliveries of it to
 * this connection wait here, and so does every later delivery to this connection, so
 * that MESSAGE frames keep their order. Only connections that ask for receipts on SEND
 * ever make one of these; other publishers and subscribers are not touched, and a
 * delivery that waits here waits for one store commit at most.
 */
import type { Message } from '../core/message.js';
import type { Subscription } from '../core/subscription.js';

interface Held {
  sub: Subscription;
  msg: Message;
  redelivered: boolean;
  tag: number;
  fanout: number;
}

export type WriteDelivery = (sub: Subscription, msg: Message, redelivered: boolean, tag: number, fanout: number) => void;

export class ReceiptFence {
  private readonly awaiting = new Set<Message>();
  private readonly held: Held[] = [];

  /** Deliveries of `msg` (and everything after them) wait until `release(msg)`. */
  await(msg: Message): void {
    this.awaiting.add(msg);
  }

  /** Must this delivery wait? */
  holds(msg: Message): boolean {
    return this.held.length > 0 || this.awaiting.has(msg);
  }

  hold(sub: Subscription, msg: Message, redelivered: boolean, tag: number, fanout: number): void {
    this.held.push({ sub, msg, redelivered, tag, fanout });
  }

  /** The RECEIPT for `msgs` is written: what waited behind them goes out, in order, up to the next one still awaited. */
  release(msgs: readonly Message[], write: WriteDelivery): void {
    for (const m of msgs) this.awaiting.delete(m);
    const held = this.held;
    let i = 0;
    while (i < held.length && !this.awaiting.has(held[i].msg)) {
      const d = held[i++];
      write(d.sub, d.msg, d.redelivered, d.tag, d.fanout);
    }
    held.splice(0, i);
  }

  get idle(): boolean {
    return this.held.length === 0 && this.awaiting.size === 0;
  }
}
