#!/usr/bin/perl
# An ESME on Net::SMPP for duplex's interop test with `duplex smsc`: binds
# as a transceiver, submits the texts of DIR/mt.json (async), prints every
# submit_sm_resp, receipt and MO, answers deliver_sm, and unbinds after
# EXPECT deliver_sm (receipts and MOs together).
use strict;
use warnings;
use utf8;
use Net::SMPP;
use Encode;
use JSON::PP;
use IO::Select;
use IO::Handle;
use FindBin;
require "$FindBin::Bin/gsm.pl";

binmode STDOUT, ':encoding(UTF-8)';
STDOUT->autoflush(1);
my ($host, $port, $sys, $pw, $dir, $expect) = @ARGV;
my $c = Net::SMPP->new_transceiver($host, port => $port, system_id => $sys, password => $pw, async => 1);
die "bind failed\n" unless $c;
# new_transceiver sent the bind; wait for its response.
my $resp = $c->read_pdu() or die "no bind_resp\n";
die "bind refused: $resp->{status}\n" if $resp->{status};
print "BOUND\n";
my $json = JSON::PP->new->canonical;
open(my $fh, '<:raw', "$dir/mt.json") or die "mt.json: $!";
my $list = do { local $/; JSON::PP->new->utf8->decode(<$fh>) };
for my $m (@$list) {
  my ($dcs, $bytes) = text_encode($m->{coding}, $m->{body});
  (my $from = $m->{from}) =~ s/^\+//;
  (my $to = $m->{to}) =~ s/^\+//;
  $c->submit_sm(source_addr_ton => 1, source_addr_npi => 1, source_addr => $from, dest_addr_ton => 1, dest_addr_npi => 1,
    destination_addr => $to, data_coding => $dcs, registered_delivery => 1, short_message => $bytes);
}
my $sel = IO::Select->new($c);
my $got = 0;
my $deadline = time + 60;
while ($got < $expect && time < $deadline) {
  next unless $sel->can_read(0.1);
  my $pdu = $c->read_pdu() or die "connection lost\n";
  my $cmd = $pdu->{cmd};
  if ($cmd == 0x80000004) { print "SUBMIT_RESP $pdu->{status} $pdu->{message_id}\n" }
  elsif ($cmd == 0x15) { $c->enquire_link_resp(seq => $pdu->{seq}) }
  elsif ($cmd == 0x05) {
    $c->deliver_sm_resp(message_id => '', seq => $pdu->{seq});
    $got++;
    if ($pdu->{esm_class} & 0x04) {
      (my $id = $pdu->{receipted_message_id} // '') =~ s/\0.*//s;
      my $state = defined $pdu->{message_state} ? ord($pdu->{message_state}) : -1;
      print "RECEIPT $id $state $pdu->{short_message}\n";
    } else {
      print 'MO ', $json->encode({from => "+$pdu->{source_addr}", to => "+$pdu->{destination_addr}", dcs => $pdu->{data_coding} + 0,
        body => text_decode($pdu->{data_coding}, $pdu->{short_message})}), "\n";
    }
  }
  else { printf("OTHER 0x%08x %d\n", $cmd, $pdu->{status}) }
}
$c->unbind(async => 0);
print "DONE $got\n";
