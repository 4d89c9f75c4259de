/**
 * Destination kinds, named as RabbitMQ's STOMP plugin names them:
 *   /queue/<name>       a queue: competing consumers, messages kept until consumed
 *   /topic/<key>        a topic: fan-out; subscriptions may use `*` (one word) and `#`
 *                       (zero or more words), words separated by `.`
 *   /temp-queue/<name>  in `reply-to` only: a private reply queue of the connection
 *   /reply-queue/<id>   where replies to a temp queue are sent (rewritten reply-to)
 *   /exchange/amq.topic/<key> and /amq/queue/<name>: RabbitMQ's longer names of the same
 *                       topic and queue (its /topic/ routes through amq.topic, its queues
 *                       sit on the default exchange); MESSAGE shows the short form, as
 *                       RabbitMQ does. Other exchanges are exact topics (no AMQP model here).
 * Anything else that starts with `/` (e.g. `/response/1/2`) is a topic matched exactly,
 * as in Spring's simple broker, which is what mini-program code written for Spring
 * expects. `queue/<name>` and `topic/<key>` without the leading `/` are read as
 * `/queue/<name>` and `/topic/<key>`: the stompjs 2.3.3 guide subscribes to "queue/test"
 * (the stompjs-guide scenario), so refusing them as RabbitMQ does would break it, and an
 * exact topic of that name would drop a SEND that nobody reads yet; a queue keeps it.
 * Any other destination without the leading `/` is refused, as RabbitMQ refuses it
 * (docs/compatibility.md).
 */
export type DestinationKind = 'queue' | 'topic' | 'exact' | 'temp-queue' | 'reply-queue';

export interface ParsedDestination {
  kind: DestinationKind;
  /** The destination as routed and shown in MESSAGE (`queue/x` becomes `/queue/x`). */
  canonical: string;
  /** The part after the prefix (queue name, topic routing key), or the whole destination. */
  name: string;
}

const AMQ_TOPIC = '/exchange/amq.topic/';
const AMQ_QUEUE = '/amq/queue/';

export function parseDestination(dest: string): ParsedDestination | string {
  if (dest.length === 0) return 'empty destination';
  if (dest.length > 1024) return 'destination longer than 1024 characters';
  // The stompjs 2.3.3 guide's "queue/test" (the stompjs-guide scenario) is the queue /queue/test.
  if (dest.startsWith('queue/') || dest.startsWith('topic/')) return parseDestination('/' + dest);
  if (dest.startsWith('/queue/')) return named('queue', dest, 7);
  if (dest.startsWith(AMQ_TOPIC)) return named('topic', '/topic/' + dest.slice(AMQ_TOPIC.length), 7);
  if (dest.startsWith(AMQ_QUEUE)) return named('queue', '/queue/' + dest.slice(AMQ_QUEUE.length), 7);
  if (dest.startsWith('/topic/')) return named('topic', dest, 7);
  if (dest.startsWith('/temp-queue/')) return named('temp-queue', dest, 12);
  if (dest.startsWith('/reply-queue/')) return named('reply-queue', dest, 13);
  if (dest.charCodeAt(0) !== 0x2f) {
    return `'${dest.slice(0, 200)}' is not a valid destination: destinations start with '/' (/queue/<name>, /topic/<key>, /temp-queue/<name>, or any /<path> as an exact topic)`;
  }
  return { kind: 'exact', name: dest, canonical: dest };
}

function named(kind: DestinationKind, dest: string, at: number): ParsedDestination | string {
  const name = dest.slice(at);
  if (name.length === 0) return `destination '${dest}' has no name`;
  return { kind, name, canonical: dest };
}

