/**
 * MQTT topics <-> routing destinations (documented in docs/mqtt.md). The mapping is
 * RabbitMQ's where users expect it, so that STOMP and MQTT clients meet:
 *
 *   MQTT topic `a/b/c`           <->  STOMP `/topic/a.b.c`   (`/` and `.` are swapped)
 *   MQTT filter `a/+/#`          ->   pattern `/topic/a.*.#`
 *   MQTT topic `$queue/orders`   <->  STOMP `/queue/orders`  (a queue: competing consumers)
 *   MQTT topic `$stomp/x/y`      <->  STOMP `/x/y`           (any other destination, exact:
 *                                                            `/reply-queue/..`, `/response/1/2`)
 *   `$SYS/broker/uptime`         <->  `/topic/$SYS.broker.uptime`
 *
 * A `.` inside an MQTT level becomes `/` in the routing key and back, so every MQTT
 * topic maps to exactly one destination and back again.
 */
import { ErrorCodes, StompboxError } from '../errors.js';

const TOPIC = '/topic/';
const QUEUE_PREFIX = '$queue/';
const STOMP_PREFIX = '$stomp/';

/** Swaps `/` and `.` (MQTT level separator <-> routing-key word separator). */
function swap(s: string): string {
  if (s.indexOf('.') < 0) return s.indexOf('/') < 0 ? s : s.replaceAll('/', '.');
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    out += c === '/' ? '.' : c === '.' ? '/' : c;
  }
  return out;
}

/**
 * Publishers and subscribers use few topics many times: both directions of the
 * mapping are remembered, bounded (the whole table is dropped when full, which is
 * cheaper than an LRU and rare).
 */
const CACHE_MAX = 10_000;
const toDestination = new Map<string, string>();
const toTopic = new Map<string, string>();

function remember(m: Map<string, string>, k: string, v: string): string {
  if (m.size >= CACHE_MAX) m.clear();
  m.set(k, v);
  return v;
}

/** The destination a (valid) MQTT topic name publishes to. */
export function topicToDestination(topic: string): string {
  return toDestination.get(topic) ?? remember(toDestination, topic, mapTopic(topic));
}

function mapTopic(topic: string): string {
  if (topic.charCodeAt(0) === 36 /* $ */) {
    if (topic.startsWith(QUEUE_PREFIX)) return '/queue/' + topic.slice(QUEUE_PREFIX.length);
    if (topic.startsWith(STOMP_PREFIX)) return '/' + topic.slice(STOMP_PREFIX.length);
  }
  return TOPIC + swap(topic);
}

/** The MQTT topic name under which a message for `dest` is delivered. */
export function destinationToTopic(dest: string): string {
  return toTopic.get(dest) ?? remember(toTopic, dest, mapDestination(dest));
}

function mapDestination(dest: string): string {
  if (dest.startsWith(TOPIC)) return swap(dest.slice(TOPIC.length));
  if (dest.startsWith('/queue/')) return QUEUE_PREFIX + dest.slice(7);
  return STOMP_PREFIX + (dest.startsWith('/') ? dest.slice(1) : dest);
}

/** The destination (pattern) of a valid MQTT topic filter (not a `$share/` one). */
export function filterToDestination(filter: string): string {
  if (filter.startsWith(QUEUE_PREFIX) || filter.startsWith(STOMP_PREFIX)) return topicToDestination(filter);
  return TOPIC + swap(filter).replaceAll('+', '*');
}

/** Is the destination a queue (a filter on it makes a competing consumer, not a fan-out subscriber)? */
export function isQueueDestination(dest: string): boolean {
  return dest.startsWith('/queue/');
}

/** [MQTT-4.7.3-1] [MQTT-4.7.3-2] [MQTT-3.3.2-2]: a topic name is non-empty, has no U+0000 and no wildcard. */
export function checkTopicName(topic: string): void {
  if (topic.length === 0) throw new StompboxError(ErrorCodes.MQTT_PROTOCOL_ERROR, 'empty topic name [MQTT-4.7.3-1]');
  for (let i = 0; i < topic.length; i++) {
    const c = topic.charCodeAt(i);
    if (c === 0x23 || c === 0x2b) throw topicError(`topic name '${clip(topic)}' holds a wildcard [MQTT-3.3.2-2]`);
    if (c === 0) throw topicError('topic name holds U+0000 [MQTT-4.7.3-2]');
  }
  if (topic.startsWith(QUEUE_PREFIX) && topic.length === QUEUE_PREFIX.length) throw topicError(`'${topic}' names no queue`);
  if (topic.startsWith(STOMP_PREFIX) && topic.length === STOMP_PREFIX.length) throw topicError(`'${topic}' names no destination`);
}

/** [MQTT-4.7.1-1] [MQTT-4.7.1-2] [MQTT-4.7.1-3] [MQTT-4.7.3-1]: wildcards stand alone on their level, `#` last. */
export function filterProblem(filter: string): string | undefined {
  if (filter.length === 0) return 'empty topic filter [MQTT-4.7.3-1]';
  if (filter.startsWith(QUEUE_PREFIX) || filter.startsWith(STOMP_PREFIX)) {
    if (/[+#]/.test(filter)) return `wildcards are not allowed in '${clip(filter)}': queues and STOMP destinations match exactly`;
    if (filter.length === 7) return `'${filter}' names nothing`;
  }
  const levels = filter.split('/');
  for (let i = 0; i < levels.length; i++) {
    const l = levels[i];
    if (l.includes('\u0000')) return 'topic filter holds U+0000 [MQTT-4.7.3-2]';
    if (l.includes('#') && (l !== '#' || i !== levels.length - 1)) return `'#' must be a whole level and the last one [MQTT-4.7.1-2]: '${clip(filter)}'`;
    if (l.includes('+') && l !== '+') return `'+' must be a whole level [MQTT-4.7.1-3]: '${clip(filter)}'`;
  }
  return undefined;
}

/** Does the routing pattern (`*`, `#` words) match the destination? Used where no index is at hand. */
export function patternMatches(pattern: string, dest: string): boolean {
  if (pattern === dest) return true;
  if (!pattern.startsWith(TOPIC) || !dest.startsWith(TOPIC)) return false;
  const p = pattern.slice(TOPIC.length).split('.');
  const d = dest.slice(TOPIC.length).split('.');
  if ((p[0] === '*' || p[0] === '#') && d[0].startsWith('$')) return false; // [MQTT-4.7.2-1]
  return matchWords(p, 0, d, 0);
}

function matchWords(p: string[], i: number, d: string[], j: number): boolean {
  if (i === p.length) return j === d.length;
  if (p[i] === '#') {
    for (let k = j; k <= d.length; k++) if (matchWords(p, i + 1, d, k)) return true;
    return false;
  }
  if (j === d.length) return false;
  if (p[i] !== '*' && p[i] !== d[j]) return false;
  return matchWords(p, i + 1, d, j + 1);
}

function topicError(message: string): StompboxError {
  return new StompboxError(ErrorCodes.BAD_DESTINATION, message);
}

function clip(s: string): string {
  return s.length > 100 ? s.slice(0, 100) + '...' : s;
}
