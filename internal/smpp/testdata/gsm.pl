# GSM 03.38 default alphabet and extension table, written out from the
# standard for the interop tests (independently of duplex's Go tables).
use utf8;
our @GSM = (
  "\@", "\x{a3}", "\$", "\x{a5}", "\x{e8}", "\x{e9}", "\x{f9}", "\x{ec}", "\x{f2}", "\x{c7}", "\n", "\x{d8}", "\x{f8}", "\r", "\x{c5}", "\x{e5}",
  "\x{394}", "_", "\x{3a6}", "\x{393}", "\x{39b}", "\x{3a9}", "\x{3a0}", "\x{3a8}", "\x{3a3}", "\x{398}", "\x{39e}", "\x{1b}", "\x{c6}", "\x{e6}", "\x{df}", "\x{c9}",
  " ", "!", "\"", "#", "\x{a4}", "%", "&", "'", "(", ")", "*", "+", ",", "-", ".", "/",
  "0", "1", "2", "3", "4", "5", "6", "7", "8", "9", ":", ";", "<", "=", ">", "?",
  "\x{a1}", "A".."Z", "\x{c4}", "\x{d6}", "\x{d1}", "\x{dc}", "\x{a7}",
  "\x{bf}", "a".."z", "\x{e4}", "\x{f6}", "\x{f1}", "\x{fc}", "\x{e0}",
);
our %EXT = ("\f" => 0x0A, "^" => 0x14, "{" => 0x28, "}" => 0x29, "\\" => 0x2F, "[" => 0x3C, "~" => 0x3D, "]" => 0x3E, "|" => 0x40, "\x{20ac}" => 0x65);
our (%GSMR, %EXTR);
@GSMR{@GSM} = (0..$#GSM);
%EXTR = reverse %EXT;
die "GSM table has " . scalar(@GSM) . " entries" unless @GSM == 128;

sub gsm_encode {
  my ($s) = @_;
  my $out = '';
  for my $ch (split //, $s) {
    if (exists $EXT{$ch}) { $out .= chr(0x1b) . chr($EXT{$ch}) }
    elsif (exists $GSMR{$ch} && $ch ne "\x{1b}") { $out .= chr($GSMR{$ch}) }
    else { die sprintf("not GSM: U+%04X", ord $ch) }
  }
  return $out;
}

sub gsm_decode {
  my ($b) = @_;
  my $out = '';
  my @c = map { ord } split //, $b;
  for (my $i = 0; $i < @c; $i++) {
    if ($c[$i] == 0x1b && $i + 1 < @c) { $i++; $out .= $EXTR{$c[$i]} // ' '; next }
    $out .= $GSM[$c[$i] & 0x7f];
  }
  return $out;
}

sub text_decode {
  my ($dcs, $b) = @_;
  return Encode::decode('UTF-16BE', $b) if $dcs == 8;
  return Encode::decode('iso-8859-1', $b) if $dcs == 3;
  return gsm_decode($b);
}

sub text_encode {
  my ($coding, $s) = @_;
  return (8, Encode::encode('UTF-16BE', $s)) if $coding eq 'ucs2';
  return (3, Encode::encode('iso-8859-1', $s)) if $coding eq 'latin1';
  return (0, gsm_encode($s));
}
1;
