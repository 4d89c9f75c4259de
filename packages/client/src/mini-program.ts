/**
 * Mini-program entry (`@stompbox/client/mini-program`): everything of the main entry,
 * and a Client whose default transport is `uni.connectSocket` or `wx.connectSocket`,
 * whichever the runtime has.
 */
import { Client as BaseClient, type ClientOptions } from './client.js';
import { miniProgramTransport } from './transports/mini-program-default.js';
import { installUtf8Loops } from './utf8-loops.js';

export * from './index.js';

// WeChat and some uni-app runtimes have no TextEncoder/TextDecoder.
installUtf8Loops();

export class Client extends BaseClient {
  constructor(options: ClientOptions) {
    super(options, miniProgramTransport());
  }
}
