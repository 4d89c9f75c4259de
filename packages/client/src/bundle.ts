/** The single-file build (`lib/stompbox.min.js`): the SDK and the stompjs facade. */
export * from './index.js';
export { Stomp, CompatClient, StompFrame } from './compat/stompjs.js';
