// Debian's libnet-stomp-perl (Net::Stomp 0.61) against the started `stompbox` CLI over
// real sockets. Its send_with_receipt reads the very next frame and wants the RECEIPT
// there; issue 10 found it failing on a connection subscribed to the destination, because
// the MESSAGE came first (RabbitMQ answers in either order, and Net::Stomp fails there
// too; Stompbox now writes the RECEIPT first, docs/compatibility.md).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { spawnBroker } from '../../dist/test/support/spawn-broker.js';
import { missingUnless, perl, unique } from './helpers.mjs';

function hasNetStomp() {
  try {
    execFileSync('/usr/bin/perl', ['-MNet::Stomp', '-e', '1'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
const skip = missingUnless(hasNetStomp(), 'libnet-stomp-perl');

const PRELUDE = String.raw`
use strict; use warnings; use Net::Stomp; use JSON::PP;
my ($port, $dest) = @ARGV;
sub conn { my ($login, $pass) = @_;
  my $s = Net::Stomp->new({ hostname => '127.0.0.1', port => $port, timeout => 2, receipt_timeout => 2 });
  my $f = $s->connect({ login => $login // 'app', passcode => $pass // 'secret' });
  return ($s, $f);
}
sub out { print JSON::PP->new->canonical->encode($_[0]), "\n" }
`;

describe('Perl Net::Stomp 0.61', { skip }, () => {
  let broker;
  before(async () => {
    broker = await spawnBroker(['--users', 'app:secret']);
  });
  after(async () => {
    await broker?.stop();
  });

  test('send_with_receipt returns true on a connection subscribed to the destination, and the message follows', async () => {
    const out = await perl(PRELUDE + String.raw`
      my ($s) = conn();
      $s->subscribe({ destination => $dest, ack => 'client', 'activemq.prefetchSize' => 10 });
      my (@ok, @bodies);
      for my $i (1..5) {
        push @ok, $s->send_with_receipt({ destination => $dest, body => "m$i", persistent => ($i % 2 ? 'true' : 'false') }) ? 1 : 0;
        my $f = $s->receive_frame({ timeout => 2 });
        push @bodies, $f ? $f->body : undef;
        $s->ack({ frame => $f }) if $f;
      }
      $s->disconnect;
      out({ ok => \@ok, bodies => \@bodies });
    `, [broker.stompPort, `/queue/${unique('perl-own')}`]);
    assert.deepEqual(out.ok, [1, 1, 1, 1, 1]);
    assert.deepEqual(out.bodies, ['m1', 'm2', 'm3', 'm4', 'm5']);
  });

  test('queue: a consumer on another connection gets what was sent, with headers, and acks it', async () => {
    const out = await perl(PRELUDE + String.raw`
      my ($p) = conn();
      $p->send({ destination => $dest, body => "b$_", 'x-n' => $_ }) for 1..3;
      my ($c) = conn();
      $c->subscribe({ destination => $dest, ack => 'client', id => 'perl-sub' });
      my @got;
      for (1..3) { my $f = $c->receive_frame({ timeout => 2 }); last unless $f; push @got, [$f->command, $f->body, $f->headers->{'x-n'}, $f->headers->{subscription}]; $c->ack({ frame => $f }); }
      $c->disconnect;
      my ($d) = conn();
      $d->subscribe({ destination => $dest });
      my $left = $d->can_read({ timeout => 0.5 }) ? 1 : 0;
      out({ got => \@got, left => $left });
    `, [broker.stompPort, `/queue/${unique('perl-q')}`]);
    assert.deepEqual(out.got, [1, 2, 3].map((i) => ['MESSAGE', `b${i}`, String(i), 'perl-sub']));
    assert.equal(out.left, 0, 'the acked messages do not come back');
  });

  test('a transaction: the SEND is delivered at COMMIT, not after ABORT', async () => {
    const out = await perl(PRELUDE + String.raw`
      my ($s) = conn();
      $s->subscribe({ destination => $dest });
      $s->send_transactional({ destination => $dest, body => 'committed' }) or die 'send_transactional';
      my $f = $s->receive_frame({ timeout => 2 });
      # Net::Stomp has no begin/abort of its own: frames built with Net::Stomp::Frame.
      $s->send_frame(Net::Stomp::Frame->new({ command => 'BEGIN', headers => { transaction => 't2' } }));
      $s->send({ destination => $dest, body => 'aborted', transaction => 't2' });
      $s->send_frame(Net::Stomp::Frame->new({ command => 'ABORT', headers => { transaction => 't2' } }));
      my $more = $s->can_read({ timeout => 0.5 }) ? $s->receive_frame->body : undef;
      out({ first => $f ? $f->body : undef, more => $more });
    `, [broker.stompPort, `/queue/${unique('perl-tx')}`]);
    assert.deepEqual(out, { first: 'committed', more: null });
  });

  test('errors: a refused login is an ERROR frame; send_with_receipt to queue/typo is false with the ERROR', async () => {
    const out = await perl(PRELUDE + String.raw`
      my (undef, $refused) = conn('app', 'wrong');
      my ($s) = conn();
      my $frame;
      my $ok = $s->send_with_receipt({ destination => 'orders', body => 'x' }, $frame);
      out({ login => $refused->command, login_code => $refused->headers->{code}, ok => $ok ? 1 : 0, typo => $frame ? $frame->command : undef, typo_code => $frame ? $frame->headers->{code} : undef });
    `, [broker.stompPort, '/queue/unused']);
    assert.deepEqual(out, { login: 'ERROR', login_code: 'STOMPBOX_ERR_AUTH_FAILED', ok: 0, typo: 'ERROR', typo_code: 'STOMPBOX_ERR_BAD_DESTINATION' });
  });
});
