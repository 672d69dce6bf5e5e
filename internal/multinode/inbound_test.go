package multinode

import (
	"database/sql"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/duplexsms/duplex/internal/e2e"
	_ "github.com/jackc/pgx/v5/stdlib"
)

// TestInboundAcrossNodes: two and three nodes on one database. Texts
// arrive on every node (POST /_duplex/simulator/inbound, spread across
// them), every one reaches the real HTTP subscriber, signed by whichever
// node delivered it and verified against the certificate another node
// serves, and every message ends DELIVERED whichever node is asked.
func TestInboundAcrossNodes(t *testing.T) {
	for _, n := range []int{2, 3} {
		t.Run(fmt.Sprintf("nodes=%d", n), func(t *testing.T) {
			testInboundAcrossNodes(t, n, 120)
		})
	}
}

func testInboundAcrossNodes(t *testing.T, n, messages int) {
	hs := startCluster(t, n)
	var urls []string
	for _, h := range hs {
		urls = append(urls, h.URL)
	}
	sub := newSubscriber(t, urls)
	leases := watchLeases(t, hs[0].Config.DatabaseURL, sub)
	number, _ := setupTwoWay(t, nodeOf(hs[0]), sub)

	ids := make([]string, messages)
	perNode := make([]int, n)
	var mu sync.Mutex
	var wg sync.WaitGroup
	errs := make(chan error, messages)
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < messages; i += 8 {
				node := i % n
				id, err := nodeOf(hs[node]).receive(bg, fmt.Sprintf("+1425555%04d", i), number, fmt.Sprintf("message %d", i))
				if err != nil {
					errs <- fmt.Errorf("node %d: %w", node, err)
					continue
				}
				mu.Lock()
				ids[i] = id
				perNode[node]++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("a node refused a text: %v", err)
	}
	for i, c := range perNode {
		if c == 0 {
			t.Errorf("node %d accepted no text", i)
		}
	}
	if missing := sub.waitFor(ids); len(missing) > 0 {
		t.Fatalf("%d of %d messages never reached the subscriber (first: %s)", len(missing), len(ids), missing[0])
	}
	distinct, deliveries, dups := sub.counts()
	sub.mu.Lock()
	signers, cross := fmt.Sprint(sub.signers), sub.cross
	sub.mu.Unlock()
	t.Logf("%d nodes: %d texts accepted %v per node; %d distinct messages in %d deliveries (%d duplicates); signed by %s; %d verified with another node's certificate",
		n, len(ids), perNode, distinct, deliveries, dups, signers, cross)
	if distinct != len(ids) {
		t.Errorf("subscriber saw %d distinct messages, want %d", distinct, len(ids))
	}
	if cross != deliveries {
		t.Errorf("%d of %d notifications were verified against another node's certificate", cross, deliveries)
	}
	// Every node sees every message delivered (one store). A message is
	// marked DELIVERED once published, which may be just after its
	// notification reached the subscriber: wait for it.
	for i, h := range hs {
		if got := waitStatus(t, nodeOf(h), "DELIVERED", len(ids)); got != len(ids) {
			t.Errorf("node %d lists %d DELIVERED messages, want %d", i, got, len(ids))
		}
	}
	leases.check(t, hs)
}

// leaseWatch measures, for notifications as they arrive, how much of the
// delivery job's lease was left: a worker must never hold a job whose
// lease ends before its request's timeout could.
type leaseWatch struct {
	mu      sync.Mutex
	samples int
	min     time.Duration
}

func watchLeases(t *testing.T, dsn string, sub *subscriber) *leaseWatch {
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	lw := &leaseWatch{min: time.Duration(1<<62 - 1)}
	sub.onNotification = func(messageID string) {
		var lease int64
		err := db.QueryRow("SELECT lease FROM jobs WHERE queue = 'sns.delivery' AND id LIKE $1 AND owner <> ''",
			strings.ReplaceAll(messageID, "_", `\_`)+"/%").Scan(&lease)
		if err != nil {
			return // completed meanwhile
		}
		left := time.Until(time.UnixMilli(lease))
		lw.mu.Lock()
		lw.samples++
		lw.min = min(lw.min, left)
		lw.mu.Unlock()
	}
	return lw
}

func (lw *leaseWatch) check(t *testing.T, hs []*e2e.Harness) {
	lw.mu.Lock()
	defer lw.mu.Unlock()
	cfg := hs[0].Server.SNS.Worker().Config()
	if lw.samples == 0 {
		t.Logf("delivery lease: no sample (every job completed before it was read)")
		return
	}
	t.Logf("delivery lease %v, request timeout %v: at the moment a notification arrived, at least %v of its job's lease was left (%d samples)",
		cfg.Lease, cfg.RequestTimeout, lw.min.Round(time.Millisecond), lw.samples)
	// A request starts only with its timeout and a quarter more of lease
	// left; by the time the subscriber reads the lease some of that quarter
	// has passed.
	if lw.min < cfg.RequestTimeout {
		t.Errorf("a notification arrived with %v of its lease left; its request may take %v", lw.min, cfg.RequestTimeout)
	}
}

// waitStatus waits until a node lists want inbound messages of status (or
// waitBound passes) and returns how many it lists.
func waitStatus(t *testing.T, e endpoint, status string, want int) int {
	deadline := time.Now().Add(waitBound)
	for {
		got := len(e.inboundStatus(t, status))
		if got == want || time.Now().After(deadline) {
			return got
		}
		time.Sleep(50 * time.Millisecond)
	}
}
