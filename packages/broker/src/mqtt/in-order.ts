/**
 * Acknowledgements that wait for the store leave in the order their packets came:
 * PUBACK / PUBREC in PUBLISH order ([MQTT-4.6.0-2], [MQTT-4.6.0-3]), and a SUBACK,
 * UNSUBACK or PUBCOMP that waits for a kept session's record behind them. Each
 * waits for its own commit (`done`) and for every earlier one of the connection;
 * with nothing waiting, it goes at once. A failed commit closes the connection
 * (the client retries what it was not told was safe).
 */
import { ErrorCodes, StompboxError } from '../errors.js';
import type { MqttConnection } from './connection.js';

const RESOLVED = Promise.resolve();

export function inOrder(conn: MqttConnection, done: Promise<void> | undefined, send: () => void, failed?: () => void): void {
  if (done === undefined && conn.ackWaiting === 0) return send();
  conn.ackWaiting++;
  const tail = (conn.ackTail ?? RESOLVED).then(() => done);
  conn.ackTail = tail.then(
    () => {
      conn.ackWaiting--;
      if (conn.ackWaiting === 0) conn.ackTail = undefined;
      if (!conn.closing) send();
    },
    () => {
      conn.ackWaiting--;
      failed?.();
      conn.fail(new StompboxError(ErrorCodes.STORE_FAILED, 'the store could not record what this acknowledgement confirms'));
    },
  );
}
