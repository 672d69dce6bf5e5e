package multinode

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	sms "github.com/aws/aws-sdk-go-v2/service/pinpointsmsvoicev2"
	"github.com/aws/aws-sdk-go-v2/service/pinpointsmsvoicev2/types"
	"github.com/duplexsms/duplex/internal/config"
	"github.com/duplexsms/duplex/internal/smpp/smsc"
	"github.com/duplexsms/duplex/internal/testutil"
)

// TestSMPPLinkOwner: two `duplex serve` processes with the same SMPP link.
// Only one binds (the SMSC sees one session); a text sent through the other
// node goes out on that bind; when the binding node is killed (SIGKILL, no
// unbind, no release), the other node binds once the link lease has ended
// and sends what is queued.
func TestSMPPLinkOwner(t *testing.T) {
	dsn := testutil.PostgresDSN(t) // skips without PostgreSQL before building
	bin := duplexBinary(t)
	sim := smsc.New(smsc.Config{SystemID: "duplex", Password: "secret",
		Log: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go sim.Serve(ln)
	t.Cleanup(func() { sim.Close() })
	link := fmt.Sprintf("smpp://duplex:secret@%s?bind=transceiver&enquire_link=300ms&resp_timeout=1s&backoff=30ms&max_backoff=200ms&connect_timeout=2s", ln.Addr())

	key := masterKeyFile(t)
	cfg := clusterFile(t, config.Cluster{JobLease: 3 * time.Second, SMPPLease: 2 * time.Second}, "")
	a := startProcess(t, bin, "--database-url", dsn, "--master-key-file", key, "--config", cfg, "--smpp", link)
	b := startProcess(t, bin, "--database-url", dsn, "--master-key-file", key, "--config", cfg, "--smpp", link)

	// One of them binds; the other stands by.
	owner, standby := waitOwner(t, a, b)
	st := sim.Status()
	if len(st.Sessions) != 1 {
		t.Fatalf("the SMSC has %d sessions, want 1: %+v", len(st.Sessions), st.Sessions)
	}

	// A text sent through the standby node leaves on the owner's bind.
	c := standby.devNode().sms()
	n, err := c.RequestPhoneNumber(bg, &sms.RequestPhoneNumberInput{IsoCountryCode: aws.String("US"), MessageType: types.MessageTypeTransactional,
		NumberCapabilities: []types.NumberCapability{types.NumberCapabilitySms}, NumberType: types.RequestableNumberTypeSimulator})
	if err != nil {
		t.Fatal(err)
	}
	send := func(via *process, body string) {
		t.Helper()
		if _, err := via.devNode().sms().SendTextMessage(bg, &sms.SendTextMessageInput{DestinationPhoneNumber: aws.String("+14255550100"),
			OriginationIdentity: n.PhoneNumber, MessageBody: aws.String(body)}); err != nil {
			t.Fatal(err)
		}
	}
	send(standby, "via the standby")
	waitReceived(t, sim, "via the standby")

	// The owner dies; the standby takes the link over once the lease ends.
	binds := sim.Status().Binds
	if err := owner.kill(); err != nil {
		t.Fatal(err)
	}
	send(standby, "after the takeover")
	waitReceived(t, sim, "after the takeover")
	st = sim.Status()
	if st.Binds <= binds || len(st.Sessions) != 1 {
		t.Errorf("after the takeover: %d binds (before %d), %d sessions", st.Binds, binds, len(st.Sessions))
	}
	if o := carriers(t, standby); !o.Owner.Held {
		t.Errorf("the surviving node does not hold the link lease: %+v", o)
	}
}

type carriersAnswer struct {
	Links []struct{ State string } `json:"links"`
	Owner struct {
		Held  bool   `json:"held"`
		Owner string `json:"owner"`
		Epoch int64  `json:"epoch"`
	} `json:"owner"`
	Node string `json:"node"`
}

func carriers(t *testing.T, p *process) carriersAnswer {
	t.Helper()
	var out carriersAnswer
	if err := p.devNode().operator().Do(bg, "GET", "/_duplex/carriers", nil, nil, &out); err != nil {
		t.Fatalf("GET /_duplex/carriers: %v", err)
	}
	return out
}

// waitOwner waits until one node holds the link lease with its link bound
// and returns it first.
func waitOwner(t *testing.T, a, b *process) (owner, standby *process) {
	t.Helper()
	deadline := time.Now().Add(waitBound)
	for {
		ca, cb := carriers(t, a), carriers(t, b)
		bound := func(c carriersAnswer) bool { return len(c.Links) == 1 && c.Links[0].State == "bound" }
		switch {
		case ca.Owner.Held && cb.Owner.Held:
			t.Fatalf("both nodes hold the link lease: %+v %+v", ca, cb)
		case ca.Owner.Held && bound(ca) && !bound(cb):
			return a, b
		case cb.Owner.Held && bound(cb) && !bound(ca):
			return b, a
		}
		if time.Now().After(deadline) {
			t.Fatalf("no node bound the link: %+v %+v", ca, cb)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// waitReceived waits until the SMSC has received a text with body.
func waitReceived(t *testing.T, sim *smsc.Server, body string) {
	t.Helper()
	deadline := time.Now().Add(waitBound)
	for {
		b, _ := json.Marshal(sim.Received(""))
		if strings.Contains(string(b), body) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the SMSC never received %q (status %+v)", body, sim.Status())
		}
		time.Sleep(50 * time.Millisecond)
	}
}
