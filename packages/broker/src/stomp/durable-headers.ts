/**
 * Durable topic subscriptions in the header styles users bring from other brokers
 * (docs/durable-subscriptions.md):
 * - RabbitMQ: `durable: true` (or `persistent: true`) with the subscription `id`,
 *   unless `auto-delete: true`; the id names the subscription.
 * - ActiveMQ: `activemq.subscriptionName`, with `client-id` on CONNECT.
 * - Artemis: `durable-subscription-name` (older: `durable-subscriber-name`), with
 *   `client-id` on CONNECT.
 * The same headers on UNSUBSCRIBE remove the subscription and what it kept.
 */
import { getHeader } from '@stompbox/stomp-codec';
import { durableName } from '../core/durable.js';
import { ErrorCodes, StompboxError } from '../errors.js';
import type { StompConnection } from './connection.js';

const NAMED = ['activemq.subscriptionName', 'durable-subscription-name', 'durable-subscriber-name'];

/** The durable subscription named by these headers (`id`: the frame's subscription id), or undefined. */
export function durableNameOf(conn: StompConnection, h: string[], id: string): string | undefined {
  for (const header of NAMED) {
    const name = getHeader(h, header);
    if (name === undefined) continue;
    if (name === '') throw new StompboxError(ErrorCodes.BAD_HEADER_VALUE, `empty '${header}' header`);
    if (conn.clientId === undefined) {
      throw new StompboxError(ErrorCodes.MISSING_HEADER, `a durable subscription named by '${header}' needs a 'client-id' header on CONNECT`);
    }
    return durableName(conn.clientId, name);
  }
  const asked = getHeader(h, 'durable') === 'true' || getHeader(h, 'persistent') === 'true';
  // RabbitMQ: a durable queue that is auto-deleted with its consumer would not outlive it.
  if (asked && getHeader(h, 'auto-delete') !== 'true') return durableName(conn.clientId, id);
  return undefined;
}
