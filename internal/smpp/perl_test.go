package smpp_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/duplexsms/duplex/internal/smpp/smsc"
	"github.com/duplexsms/duplex/internal/smsvoice"
)

// The interop tests put duplex against an SMPP implementation it did not
// write: Perl's Net::SMPP (Debian package libnet-smpp-perl), as SMSC for
// duplex's ESME and as ESME for `duplex smsc`. Both sides decode text with
// their own GSM 03.38 table (testdata/gsm.pl) and Perl's Encode. The tests
// skip when Net::SMPP is not installed, unless DUPLEX_REQUIRE_PERL_SMPP=1
// (CI), where they fail instead.
func needPerlSMPP(t *testing.T) {
	t.Helper()
	err := exec.Command("perl", "-MNet::SMPP", "-MJSON::PP", "-MEncode", "-e", "1").Run()
	if err == nil {
		return
	}
	if os.Getenv("DUPLEX_REQUIRE_PERL_SMPP") == "1" {
		t.Fatalf("Net::SMPP required (apt-get install libnet-smpp-perl): %v", err)
	}
	t.Skipf("Net::SMPP not installed (apt-get install libnet-smpp-perl): %v", err)
}

// perlProc runs a script and hands out its output lines.
type perlProc struct {
	t     *testing.T
	lines chan string
	all   []string
}

func runPerl(t *testing.T, script string, args ...string) *perlProc {
	t.Helper()
	abs, err := filepath.Abs(filepath.Join("testdata", script))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, "perl", append([]string{abs}, args...)...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = &testLog{t: t, prefix: script + ": "}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &perlProc{t: t, lines: make(chan string, 1000)}
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			p.lines <- sc.Text()
		}
		close(p.lines)
	}()
	t.Cleanup(func() { cancel(); cmd.Wait() })
	return p
}

type testLog struct {
	t      *testing.T
	prefix string
}

func (l *testLog) Write(b []byte) (int, error) {
	l.t.Logf("%s%s", l.prefix, strings.TrimRight(string(b), "\n"))
	return len(b), nil
}

// expect returns the next line with prefix (earlier lines are kept in all).
func (p *perlProc) expect(prefix string) string {
	p.t.Helper()
	timeout := time.After(waitBound)
	for {
		select {
		case l, ok := <-p.lines:
			if !ok {
				p.t.Fatalf("perl exited before %q; output: %q", prefix, p.all)
			}
			p.all = append(p.all, l)
			if strings.HasPrefix(l, prefix) {
				return strings.TrimPrefix(l, prefix)
			}
		case <-timeout:
			p.t.Fatalf("no %q from perl; output: %q", prefix, p.all)
		}
	}
}

func freePort(t *testing.T) int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

type perlMT struct {
	From, To, Body string
	Parts, DCS     int
	IDs            []string
}

// duplex's ESME against a Net::SMPP SMSC.
func TestPerlSMSC(t *testing.T) {
	needPerlSMPP(t)
	dir := t.TempDir()
	port := freePort(t)
	perl := runPerl(t, "smsc.pl", fmt.Sprint(port), dir)
	perl.expect("LISTENING")
	e := attach(t, nil, "", "", withLink(fmt.Sprintf("smpp://duplex:secret@127.0.0.1:%d?%s", port, fastLink)))
	if got := perl.expect("BOUND "); got != "duplex" {
		t.Fatalf("bound as %q", got)
	}
	texts := map[string]struct {
		parts int
		dcs   int
	}{
		"Hello Perl, from duplex: {ok} [x] ~|\\^ €5 @ £3 Ü à": {1, 0},
		strings.Repeat("Long GSM {message} with €uro ", 10):   {0, 0},
		"Emoji 😀 and ünïcödé":                                 {1, 8},
		strings.Repeat("Длинное сообщение 🎉 ", 8):             {0, 8},
	}
	ids := map[string]string{}
	for body := range texts {
		ids[body] = e.send("+14255550100", body)
	}
	seen := map[string]perlMT{}
	for range texts {
		var m perlMT
		if err := json.Unmarshal([]byte(perl.expect("MT ")), &m); err != nil {
			t.Fatal(err)
		}
		seen[m.Body] = m
	}
	for body, want := range texts {
		m, ok := seen[body]
		if !ok {
			t.Errorf("Net::SMPP never reassembled %q; it got %v", body, keys(seen))
			continue
		}
		if m.DCS != want.dcs || (want.parts > 0 && m.Parts != want.parts) || (want.parts == 0 && m.Parts < 2) {
			t.Errorf("%.20q: dcs %d parts %d, want dcs %d parts %d", body, m.DCS, m.Parts, want.dcs, want.parts)
		}
		if m.From != e.number || m.To != "+14255550100" {
			t.Errorf("%.20q: from %s to %s", body, m.From, m.To)
		}
		out := e.waitStatus(ids[body], smsvoice.StatusDelivered)
		if out.CarrierMessageID != strings.Join(m.IDs, ",") {
			t.Errorf("%.20q: carrierMessageId %q, SMSC gave %v", body, out.CarrierMessageID, m.IDs)
		}
	}

	// MOs from Net::SMPP: GSM, Latin-1, and UCS-2 in reversed parts whose
	// boundaries split surrogate pairs.
	mos := []map[string]string{
		{"from": "+14255550121", "to": e.number, "body": "Hi from Perl {braces} €", "coding": "gsm"},
		{"from": "+14255550122", "to": e.number, "body": "Grüße aus Köln, ¿qué tal? ½", "coding": "latin1"},
		{"from": "+14255550123", "to": e.number, "body": strings.Repeat("x😀", 60), "coding": "ucs2", "order": "reverse"},
		{"from": "+14255550124", "to": e.number, "body": strings.Repeat("GSM long ~ ", 30), "coding": "gsm", "order": "reverse"},
	}
	b, _ := json.Marshal(mos)
	if err := os.WriteFile(filepath.Join(dir, "mo.json.tmp"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	os.Rename(filepath.Join(dir, "mo.json.tmp"), filepath.Join(dir, "mo.json"))
	perl.expect("MO_SENT")
	var bodies []string
	for _, m := range mos {
		bodies = append(bodies, m["body"])
	}
	got := e.waitInbound(bodies...)
	for _, m := range mos {
		if in := got[m["body"]]; in.OriginationNumber != m["from"] {
			t.Errorf("inbound %.20q from %s, want %s", m["body"], in.OriginationNumber, m["from"])
		}
	}
	e.h.Stop()
	perl.expect("UNBIND")
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// A Net::SMPP ESME against `duplex smsc`.
func TestPerlESME(t *testing.T) {
	needPerlSMPP(t)
	sim, addr := startSim(t, smsc.Config{SystemID: "perl", Password: "pw"})
	host, port, _ := net.SplitHostPort(addr)
	dir := t.TempDir()
	mts := []map[string]string{
		{"from": "+12065550100", "to": "+14255550100", "body": "Perl says {hi} [x] ~ € £ Ü à", "coding": "gsm"},
		{"from": "+12065550100", "to": "+14255550101", "body": "Hej från Perl ✓ 😀", "coding": "ucs2"},
		{"from": "+12065550100", "to": "+14255550102", "body": "Café crème ½", "coding": "latin1"},
	}
	b, _ := json.Marshal(mts)
	os.WriteFile(filepath.Join(dir, "mt.json"), b, 0o644)
	// 3 receipts + 2 MOs.
	perl := runPerl(t, "esme.pl", host, port, "perl", "pw", dir, "5")
	perl.expect("BOUND")
	ctx, cancel := context.WithTimeout(context.Background(), waitBound)
	defer cancel()
	if err := sim.WaitReceived(ctx, len(mts)); err != nil {
		t.Fatal(err)
	}
	got := map[string]smsc.MT{}
	for _, m := range sim.Received("") {
		got[m.Body] = m
	}
	var ids []string
	for _, want := range mts {
		m, ok := got[want["body"]]
		if !ok {
			t.Errorf("duplex smsc did not decode %q; it has %v", want["body"], keys(got))
			continue
		}
		if m.From != want["from"] || m.To != want["to"] || m.SystemID != "perl" {
			t.Errorf("%q: from %s to %s system %s", want["body"], m.From, m.To, m.SystemID)
		}
		ids = append(ids, m.ID)
	}
	for _, mo := range []smsc.MO{
		{From: "+14255550100", To: "+12065550100", Body: "Reply {GSM} €", SystemID: "perl"},
		{From: "+14255550101", To: "+12065550100", Body: "Ответ 😀", SystemID: "perl"},
	} {
		if _, err := sim.SendMO(ctx, mo); err != nil {
			t.Fatalf("SendMO: %v", err)
		}
	}
	perl.expect("DONE 5")
	receipts, mos, resps := map[string]bool{}, map[string]bool{}, 0
	for _, l := range perl.all {
		switch {
		case strings.HasPrefix(l, "SUBMIT_RESP "):
			if !strings.HasPrefix(l, "SUBMIT_RESP 0 ") {
				t.Errorf("%q", l)
			}
			resps++
		case strings.HasPrefix(l, "RECEIPT "):
			r := strings.TrimPrefix(l, "RECEIPT ")
			f := strings.Fields(r)
			if len(f) < 3 || f[1] != "2" || !strings.Contains(r, "stat:DELIVRD") || !strings.Contains(r, "id:"+f[0]) {
				t.Errorf("receipt %q", r)
			}
			receipts[f[0]] = true
		case strings.HasPrefix(l, "MO "):
			var m struct{ From, To, Body string }
			json.Unmarshal([]byte(strings.TrimPrefix(l, "MO ")), &m)
			mos[m.Body] = true
		}
	}
	if resps != len(mts) {
		t.Errorf("%d submit_sm_resp, want %d", resps, len(mts))
	}
	for _, id := range ids {
		if !receipts[id] {
			t.Errorf("no receipt for %s (got %v)", id, receipts)
		}
	}
	if !mos["Reply {GSM} €"] || !mos["Ответ 😀"] {
		t.Errorf("MOs as Net::SMPP decoded them: %v", mos)
	}
	// Net::SMPP's unbind() waits for unbind_resp before DONE is printed.
	if st := sim.Status(); st.Unbinds != 1 {
		t.Errorf("unbinds = %d", st.Unbinds)
	}
}
