package smpp

import (
	"strings"
	"testing"
	"time"
)

func TestParseURL(t *testing.T) {
	c, err := ParseURL("smpps://sys:p%40ss@smsc.example:3550?bind=receiver&tps=100&window=20&system_type=VMA&addr_range=^1206&src_ton=5&src_npi=0&enquire_link=15s&name=main")
	if err != nil {
		t.Fatal(err)
	}
	want := LinkConfig{Name: "main", Addr: "smsc.example:3550", TLS: true, SystemID: "sys", Password: "p@ss", SystemType: "VMA",
		Bind: Receiver, AddressRange: "^1206", TPS: 100, Window: 20, SrcTON: 5, SrcNPI: 0, DstTON: 1, DstNPI: 1,
		RegisteredDelivery: 1, EnquireLink: 15 * time.Second, RespTimeout: 10 * time.Second, ConnectTimeout: 10 * time.Second,
		MinBackoff: time.Second, MaxBackoff: time.Minute, ThrottleBackoff: 200 * time.Millisecond, RxConcurrency: 64}
	if c != want {
		t.Fatalf("got  %+v\nwant %+v", c, want)
	}
	if strings.Contains(c.String(), "p@ss") {
		t.Fatal("String() shows the password")
	}
	c, err = ParseURL("smpp://a:b@host?tls=true")
	if err != nil || !c.TLS || c.Addr != "host:2775" || c.Bind != Transceiver {
		t.Fatalf("%+v %v", c, err)
	}
	for _, bad := range []string{
		"http://a:b@h:1", "smpp://a:b@h:1?bind=both", "smpp://a:b@h:1?tps=-1", "smpp://a:b@h:1?window=0",
		"smpp://a:b@h:1?bogus=1", "smpp://a:123456789@h:1", "smpp://a:b@h:1?enquire_link=soon", "smpp:///nohost",
	} {
		if _, err := ParseURL(bad); err == nil {
			t.Errorf("%s accepted", bad)
		} else if strings.Contains(err.Error(), "123456789") {
			t.Errorf("error shows the password: %v", err)
		}
	}
}

func TestNamed(t *testing.T) {
	urls := []string{"smpp://a:b@h:1", "smpp://a:b@h:2?name=x", "smpp://a:b@h:3", "smpp://a:b@h:4"}
	links, err := Named(urls, map[string]string{"smpp://a:b@h:4": "cfg"})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, l := range links {
		names = append(names, l.Name)
	}
	if got := strings.Join(names, ","); got != "smpp,x,smpp2,cfg" {
		t.Fatalf("names %s", got)
	}
}

func TestIDVariants(t *testing.T) {
	v := idVariants("255")
	if strings.Join(v, ",") != "255,ff,FF,597" {
		t.Fatalf("%v", v)
	}
	if v := idVariants("0A1b"); !contains(v, "2587") || !contains(v, "0a1b") || !contains(v, "0A1B") {
		t.Fatalf("%v", v)
	}
}

func contains(s []string, x string) bool {
	for _, v := range s {
		if v == x {
			return true
		}
	}
	return false
}

func TestAssemble(t *testing.T) {
	parts := []moPart{{Seq: 3, Data: []byte("c")}, {Seq: 1, Data: []byte("a")}}
	if got := assemble(parts, 4); got != "a…c…" {
		t.Fatalf("%q", got)
	}
	// A surrogate pair split across parts decodes whole.
	parts = []moPart{{Seq: 2, Coding: 8, Data: []byte{0xde, 0x00}}, {Seq: 1, Coding: 8, Data: []byte{0, 'x', 0xd8, 0x3d}}}
	if got := assemble(parts, 2); got != "x😀" {
		t.Fatalf("%q", got)
	}
}

func TestDecodeText(t *testing.T) {
	for _, c := range []struct {
		coding byte
		in     []byte
		want   string
	}{
		{0, []byte{0x1b, 0x65, 0x00, 0x11}, "€@_"},
		{1, []byte("plain"), "plain"},
		{3, []byte{0xe9, 0xbd}, "é½"},
		{8, []byte{0xd8, 0x3d, 0xde, 0x00}, "😀"},
		{6, []byte{0xbf}, "П"},
		{4, []byte("ünï"), "ünï"},
		{0xf0, []byte{0x41}, "A"},
	} {
		if got := DecodeText(c.coding, c.in); got != c.want {
			t.Errorf("DecodeText(%d, %x) = %q, want %q", c.coding, c.in, got, c.want)
		}
	}
}
