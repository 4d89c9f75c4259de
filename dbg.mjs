import { spawnBroker } from './packages/broker/dist/test/support/spawn-broker.js';
import { rawTcp, connackCode } from './packages/broker/dist/test/support/mqtt.js';
const b = await spawnBroker(['--log-level','debug','--mqtt-max-packet-size', '4096', '--mqtt-max-keep-alive', '60']);
for (const bytes of [[0x10, 13, 0, 4, 0x4d, 0x51, 0x54, 0x58, 4, 0x02, 0, 0, 0, 1, 0x78],[0x10, 13, 0, 4, 0x4d, 0x51, 0x54, 0x54, 6, 0x02, 0, 0, 0, 1, 0x78],[0x10, 13, 0, 4, 0x4d, 0x51, 0x54, 0x54, 4, 0x03, 0, 0, 0, 1, 0x78]]) {
  const r = await rawTcp(b.mqttPort);
  r.write(Buffer.from(bytes));
  await new Promise(r => setTimeout(r, 100));
  console.log(r.packets.map(p=>p.cmd), r.isClosed());
}
const r = await rawTcp(b.mqttPort);
r.send({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: true, clientId: '', keepalive: 0 });
await new Promise(r => setTimeout(r, 300));
console.log(r.packets, r.isClosed());
console.log(b.stderr().split('\n').filter(l => !l.includes('"level":30')).slice(-8).join('\n'));
await b.stop();
