#!/usr/bin/perl
# An SMSC on Net::SMPP for duplex's interop test: answers binds and
# submit_sm, reassembles and prints what it received (one "MT {json}" line a
# message), sends a delivery receipt for every part (TLVs on odd IDs, text
# only on even ones), and once DIR/mo.json appears sends the MOs it lists
# (long ones as concatenated parts, in the order asked).
use strict;
use warnings;
use utf8;
use Net::SMPP;
use Encode;
use JSON::PP;
use IO::Select;
use IO::Handle;
use POSIX qw(strftime);
use FindBin;
require "$FindBin::Bin/gsm.pl";

binmode STDOUT, ':encoding(UTF-8)';
STDOUT->autoflush(1);
my ($port, $dir) = @ARGV;
my $srv = Net::SMPP->new_listen('127.0.0.1', port => $port) or die "listen: $!";
print "LISTENING\n";
my $json = JSON::PP->new->canonical;
my ($msgid, $ref) = (0, 0);
my (%parts, %ids);

sub strip { my $n = shift; $n =~ s/^\+//; return $n }

sub submit {
  my ($c, $pdu) = @_;
  my $sm = $pdu->{short_message};
  my ($r, $tot, $n) = (0, 1, 1);
  if ($pdu->{esm_class} & 0x40) {
    my $l = ord(substr($sm, 0, 1));
    my $h = substr($sm, 1, $l);
    $sm = substr($sm, 1 + $l);
    while (length($h) >= 2) {
      my ($iei, $iel) = unpack('CC', $h);
      ($r, $tot, $n) = unpack('CCC', substr($h, 2, 3)) if $iei == 0 && $iel == 3;
      $h = substr($h, 2 + $iel);
    }
  }
  my $id = sprintf('P%06d', ++$msgid);
  $c->submit_sm_resp(message_id => $id, seq => $pdu->{seq});
  my $key = "$pdu->{source_addr}/$pdu->{destination_addr}/$r/$tot";
  $parts{$key}{$n} = $sm;
  $ids{$key}{$n} = $id;
  if (keys %{$parts{$key}} == $tot) {
    my $all = join('', map { $parts{$key}{$_} } 1 .. $tot);
    print 'MT ', $json->encode({from => "+$pdu->{source_addr}", to => "+$pdu->{destination_addr}", parts => $tot + 0,
      dcs => $pdu->{data_coding} + 0, ids => [map { $ids{$key}{$_} } 1 .. $tot], body => text_decode($pdu->{data_coding}, $all)}), "\n";
    delete $parts{$key};
    delete $ids{$key};
  }
  return unless $pdu->{registered_delivery} & 1;
  my $now = strftime('%y%m%d%H%M', gmtime);
  my @tlv = ($msgid % 2) ? (receipted_message_id => "$id\0", message_state => pack('C', 2)) : ();
  $c->deliver_sm(source_addr_ton => $pdu->{dest_addr_ton}, source_addr_npi => $pdu->{dest_addr_npi}, source_addr => $pdu->{destination_addr},
    dest_addr_ton => $pdu->{source_addr_ton}, dest_addr_npi => $pdu->{source_addr_npi}, destination_addr => $pdu->{source_addr},
    esm_class => 0x04, data_coding => 0,
    short_message => "id:$id sub:001 dlvrd:001 submit date:$now done date:$now stat:DELIVRD err:000 text:x", @tlv, async => 1);
}

sub send_mos {
  my ($c) = @_;
  open(my $fh, '<:raw', "$dir/mo.json") or die "mo.json: $!";
  local $/;
  my $list = JSON::PP->new->utf8->decode(<$fh>);
  for my $m (@$list) {
    my ($dcs, $bytes) = text_encode($m->{coding} // 'gsm', $m->{body});
    my ($single, $multi) = $dcs == 0 ? (160, 153) : (140, 134);
    my @chunks;
    if (length($bytes) <= $single) { @chunks = ($bytes) }
    else { push @chunks, substr($bytes, 0, $multi, '') while length $bytes }
    $ref = ($ref + 1) & 0xff;
    my @pdus;
    for my $i (0 .. $#chunks) {
      my ($esm, $sm) = (0, $chunks[$i]);
      ($esm, $sm) = (0x40, pack('CCCCCC', 5, 0, 3, $ref, scalar(@chunks), $i + 1) . $sm) if @chunks > 1;
      push @pdus, [$esm, $sm];
    }
    @pdus = reverse @pdus if ($m->{order} // '') eq 'reverse';
    for my $p (@pdus) {
      $c->deliver_sm(source_addr_ton => 1, source_addr_npi => 1, source_addr => strip($m->{from}),
        dest_addr_ton => 1, dest_addr_npi => 1, destination_addr => strip($m->{to}),
        esm_class => $p->[0], data_coding => $dcs, short_message => $p->[1], async => 1);
    }
  }
  print "MO_SENT\n";
}

while (1) {
  my $c = $srv->accept or next;
  my $sel = IO::Select->new($c);
  my $mo_sent = 0;
  while (1) {
    if (!$mo_sent && -e "$dir/mo.json") { send_mos($c); $mo_sent = 1 }
    next unless $sel->can_read(0.05);
    my $pdu = $c->read_pdu() or last;
    my $cmd = $pdu->{cmd};
    if ($cmd == 0x09) { $c->bind_transceiver_resp(system_id => 'perlsmsc', seq => $pdu->{seq}); print "BOUND $pdu->{system_id}\n" }
    elsif ($cmd == 0x15) { $c->enquire_link_resp(seq => $pdu->{seq}) }
    elsif ($cmd == 0x06) { $c->unbind_resp(seq => $pdu->{seq}); print "UNBIND\n"; last }
    elsif ($cmd == 0x04) { submit($c, $pdu) }
    elsif ($cmd == 0x80000005) { print "DELIVER_RESP $pdu->{status}\n" }
    else { printf("OTHER 0x%08x\n", $cmd) }
  }
  close $c;
  print "DISCONNECTED\n";
}
