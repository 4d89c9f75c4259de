/**
 * CONNECT / STOMP (STOMP 1.2 §"Connecting"): version negotiation by
 * `accept-version` (absent = 1.0), `host` accepted (default `/`), login checked,
 * heart-beats negotiated, then CONNECTED.
 */
import { getHeader, type Frame, type StompVersion } from '@stompbox/stomp-codec';
import { ErrorCodes, StompboxError } from '../errors.js';
import type { StompConnection } from './connection.js';
import { Heartbeat, negotiate, parseHeartBeat } from './heartbeat.js';
import { stompClient } from './events.js';

const SUPPORTED: StompVersion[] = ['1.2', '1.1', '1.0'];

export function negotiateVersion(acceptVersion: string | undefined): StompVersion | undefined {
  if (acceptVersion === undefined) return '1.0';
  const offered = acceptVersion.split(',').map((v) => v.trim());
  return SUPPORTED.find((v) => offered.includes(v));
}

export function handleConnect(conn: StompConnection, frame: Frame): void {
  if (conn.connected) throw new StompboxError(ErrorCodes.ALREADY_CONNECTED, 'already connected');
  const h = frame.headers;
  const version = negotiateVersion(getHeader(h, 'accept-version'));
  if (version === undefined) {
    // STOMP 1.2: "the server MUST respond with an ERROR frame ... and include a version header"
    const message = 'Supported protocol versions are 1.0, 1.1, 1.2';
    conn.sendFrame('ERROR', ['version', '1.0,1.1,1.2', 'content-type', 'text/plain', 'message', message, 'code', ErrorCodes.UNSUPPORTED_VERSION], message);
    conn.close(1002, 'unsupported version');
    return;
  }
  const { config, auth, logger } = conn.ctx;
  // STOMP 1.0 peers write `login: name` (as the 1.0 spec's examples do); the CONNECT was
  // decoded before the version was known, so trim here as the decoder does in 1.0.
  const value = (name: string) => (version === '1.0' ? getHeader(h, name)?.trim() : getHeader(h, name));
  const login = value('login');
  const result = auth.check(login, value('passcode'));
  if (!result.ok) {
    logger.info({ session: conn.id, login, remote: conn.transport.remote }, 'login refused');
    throw new StompboxError(ErrorCodes.AUTH_FAILED, login === undefined ? 'login required' : `access refused for user '${login}'`);
  }
  const beat = parseHeartBeat(getHeader(h, 'heart-beat'));
  if (beat === undefined) throw new StompboxError(ErrorCodes.BAD_HEADER_VALUE, `invalid heart-beat header '${getHeader(h, 'heart-beat')}'`);
  conn.accepted(version, result.user);
  conn.clientId = value('client-id');
  const headers = ['version', version, 'server', conn.ctx.serverName, 'session', conn.id];
  if (version !== '1.0') {
    const n = negotiate(beat, config.heartbeatSendMs, config.heartbeatReceiveMs);
    headers.push('heart-beat', `${config.heartbeatSendMs},${config.heartbeatReceiveMs}`);
    if (n.send > 0 || n.receive > 0) conn.heartbeat = new Heartbeat(conn, n, config.heartbeatTolerance);
  }
  if (result.user !== undefined) headers.push('user-name', result.user);
  conn.sendFrame('CONNECTED', headers);
  logger.debug({ session: conn.id, version, user: result.user, remote: conn.transport.remote }, 'connected');
  if (conn.ctx.events.wants.clientConnected) conn.ctx.events.fire('clientConnected', { client: stompClient(conn) });
}
