// Debian's ruby-stomp (the stomp gem 1.4) against the started `stompbox` CLI over real
// sockets: Stomp::Client (its listener thread, receipts as blocks, transactions) and
// Stomp::Connection (receive, ack, nack), STOMP 1.2 and 1.0.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { spawnBroker } from '../../dist/test/support/spawn-broker.js';
import { missingUnless, ruby, unique } from './helpers.mjs';

function hasRubyStomp() {
  try {
    execFileSync('/usr/bin/ruby', ['-e', 'require "stomp"'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
const skip = missingUnless(hasRubyStomp(), 'ruby-stomp');

const PRELUDE = String.raw`
require 'stomp'; require 'json'; require 'timeout'
port, dest = ARGV[0].to_i, ARGV[1]
def hash(port, version = '1.2', pass = 'secret')
  { hosts: [{ login: 'app', passcode: pass, host: '127.0.0.1', port: port }], reliable: false,
    connect_headers: { 'accept-version' => version, 'host' => '/' }, connect_timeout: 2, max_reconnect_attempts: 0 }
end
`;

describe('ruby-stomp 1.4', { skip }, () => {
  let broker;
  before(async () => {
    broker = await spawnBroker(['--users', 'app:secret']);
  });
  after(async () => {
    await broker?.stop();
  });

  test('Stomp::Client: publish with a receipt block, subscribe, ack, in order (1.2 and 1.0)', async () => {
    for (const version of ['1.2', '1.0']) {
      const out = await ruby(PRELUDE + String.raw`
        c = Stomp::Client.new(hash(port, ARGV[2]))
        got = Queue.new
        receipts = Queue.new
        c.subscribe(dest, ack: 'client', id: 'rb') { |m| got << [m.body, m.headers['x-n']]; c.acknowledge(m) }
        5.times { |i| c.publish(dest, "m#{i}", 'x-n' => i.to_s) { |r| receipts << r.headers['receipt-id'] } }
        bodies = Timeout.timeout(3) { 5.times.map { got.pop } }
        ids = Timeout.timeout(3) { 5.times.map { receipts.pop } }
        c.close
        puts({ version: c.protocol, bodies: bodies, receipts: ids.compact.size }.to_json)
      `, [broker.stompPort, `/queue/${unique('rb-client')}`, version]);
      assert.equal(out.version, version);
      assert.deepEqual(out.bodies, [0, 1, 2, 3, 4].map((i) => [`m${i}`, String(i)]));
      assert.equal(out.receipts, 5);
    }
  });

  test('Stomp::Connection: NACK requeues (redelivered), ACK removes; a transaction holds until commit', async () => {
    const out = await ruby(PRELUDE + String.raw`
      conn = Stomp::Connection.new(hash(port))
      conn.publish(dest, 'first')
      conn.subscribe(dest, { ack: 'client-individual', id: 's1' })
      m = Timeout.timeout(3) { conn.receive }
      conn.nack(m.headers['ack'])
      again = Timeout.timeout(3) { conn.receive }
      conn.ack(again.headers['ack'], receipt: 'ack-r')
      r = Timeout.timeout(3) { conn.receive }
      conn.begin('tx1')
      conn.publish(dest, 'in tx', transaction: 'tx1')
      conn.commit('tx1')
      tx = Timeout.timeout(3) { conn.receive }
      conn.ack(tx.headers['ack'])
      conn.disconnect
      puts({ first: m.body, again: [again.body, again.headers['redelivered']], receipt: [r.command, r.headers['receipt-id']], tx: tx.body }.to_json)
    `, [broker.stompPort, `/queue/${unique('rb-conn')}`]);
    assert.deepEqual(out, { first: 'first', again: ['first', 'true'], receipt: ['RECEIPT', 'ack-r'], tx: 'in tx' });
  });

  test('errors: a refused login is the ERROR in connection_frame; an ACK for an unknown id gets an ERROR, not a RECEIPT', async () => {
    const out = await ruby(PRELUDE + String.raw`
      # ruby-stomp does not raise on a refused login: the ERROR is its connection_frame.
      refused = Stomp::Connection.new(hash(port, '1.2', 'wrong')).connection_frame
      login = [refused.command, refused.headers['code']]
      conn = Stomp::Connection.new(hash(port))
      conn.ack('987654321', receipt: 'bogus-ack')
      f = Timeout.timeout(3) { conn.receive }
      puts({ login: login, command: f.command, code: f.headers['code'], receipt: f.headers['receipt-id'] }.to_json)
    `, [broker.stompPort, '/queue/unused']);
    assert.deepEqual(out, { login: ['ERROR', 'STOMPBOX_ERR_AUTH_FAILED'], command: 'ERROR', code: 'STOMPBOX_ERR_UNKNOWN_DELIVERY', receipt: 'bogus-ack' });
  });
});
