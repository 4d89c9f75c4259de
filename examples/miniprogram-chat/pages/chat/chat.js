// The mini-program chat page of shared/scenarios/miniprogram-chat, on the Stompbox SDK.
// No websocket.js wrapper: the SDK finds wx.connectSocket by itself, queues what is sent
// before the socket opens, reads frames whose NUL iOS dropped, reconnects after any
// drop, and re-subscribes before sending what waited.
const { Client } = require('../../utils/stompbox.min.js'); // a copy of @stompbox/client/lib/stompbox.min.js
const app = getApp();

Page({
  data: { objUid: '1', content: '发送的内容', messages: [] },
  onLoad() {
    const { WSURL, uid } = app.globalData;
    this.client = new Client({ url: `${WSURL}/chat` });
    this.client.subscribe(`/response/${uid}/${this.data.objUid}`, (m) => {
      this.setData({ messages: [...this.data.messages, m.json()] });
    });
    this.client.connect();
  },
  onShow() {
    this.client.wake(); // back from the background: retry now, not at the end of a long backoff
  },
  onUnload() {
    this.client.disconnect();
  },
  send() {
    const { uid } = app.globalData;
    this.client.publish(`/child/${uid}/${this.data.objUid}`, JSON.stringify({ content: this.data.content }));
  },
});
