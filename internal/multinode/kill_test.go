package multinode

import (
	"database/sql"
	"fmt"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/duplexsms/duplex/internal/config"
	"github.com/duplexsms/duplex/internal/testutil"
)

// TestNodeKilledUnderLoad: three `duplex serve` processes on one database;
// texts arrive on all three while the subscriber answers slowly (so every
// node holds deliveries in flight); one node is killed with SIGKILL. The
// survivors take over its claims once their leases end, and every text a
// node acknowledged reaches the subscriber. A text whose POST failed
// because its node died is sent again to another node, as a carrier
// re-sends an unacknowledged MO: it arrives at least once (twice when the
// dead node had stored it). Duplicates are counted and reported.
func TestNodeKilledUnderLoad(t *testing.T) {
	dsn := testutil.PostgresDSN(t) // skips without PostgreSQL before building
	bin := duplexBinary(t)
	key := masterKeyFile(t)
	// Short leases so that the dead node's claims come back within seconds.
	cfg := clusterFile(t, config.Cluster{JobLease: 3 * time.Second, DeliveryTimeout: time.Second, DeliveryLease: 3 * time.Second}, "")
	var procs []*process
	var urls []string
	for i := 0; i < 3; i++ {
		p := startProcess(t, bin, "--database-url", dsn, "--master-key-file", key, "--config", cfg)
		procs = append(procs, p)
		urls = append(urls, p.URL)
	}
	sub := newSubscriber(t, urls)
	number, _ := setupTwoWay(t, procs[0].devNode(), sub)
	sub.delay = 5 * time.Millisecond

	const texts, senders = 600, 6
	victim := procs[1]
	var (
		next      atomic.Int64
		accepted  atomic.Int64
		mu        sync.Mutex
		ids       []string
		resent    int
		killOnce  sync.Once
		killed    = make(chan struct{})
		wg        sync.WaitGroup
		failures  []string
		heldAtDie string
	)
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for w := 0; w < senders; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= texts {
					return
				}
				body := fmt.Sprintf("text %d", i)
				for try := 0; ; try++ {
					p := procs[(i+try)%len(procs)]
					select {
					case <-killed:
						if p == victim {
							continue
						}
					default:
					}
					id, err := p.devNode().receive(bg, fmt.Sprintf("+1425555%04d", i), number, body)
					if err != nil {
						mu.Lock()
						if try == 0 {
							resent++
						}
						if try > 3 {
							failures = append(failures, fmt.Sprintf("%s: %v", body, err))
						}
						mu.Unlock()
						if try > 3 {
							break
						}
						continue
					}
					mu.Lock()
					ids = append(ids, id)
					mu.Unlock()
					break
				}
				if accepted.Add(1) == texts/3 {
					killOnce.Do(func() {
						if err := victim.kill(); err != nil {
							heldAtDie = "kill: " + err.Error()
						} else {
							heldAtDie = claims(db)
						}
						close(killed)
					})
				}
			}
		}()
	}
	wg.Wait()
	for _, f := range failures {
		t.Errorf("text never accepted by any node: %s", f)
	}
	select {
	case <-killed:
	default:
		t.Fatal("the node was never killed")
	}
	t.Logf("claims in the store right after the SIGKILL: %s", heldAtDie)

	missing := sub.waitFor(ids)
	var bodies []string
	for i := 0; i < texts; i++ {
		bodies = append(bodies, fmt.Sprintf("text %d", i))
	}
	lostBodies := waitBodies(sub, bodies)
	distinct, deliveries, dups := sub.counts()
	t.Logf("%d texts, %d acknowledged ids (%d POSTs failed with the node and were sent again); subscriber: %d distinct messages in %d deliveries, %d duplicate deliveries",
		texts, len(ids), resent, distinct, deliveries, dups)
	if len(missing) > 0 {
		t.Errorf("%d acknowledged messages never reached the subscriber (first %s)", len(missing), missing[0])
	}
	if len(lostBodies) > 0 {
		t.Errorf("%d texts never reached the subscriber (first %q)", len(lostBodies), lostBodies[0])
	}
	// The survivors finish everything: no job is left behind, and every
	// stored message (those the dead node stored but never acknowledged
	// included) ends DELIVERED.
	deadline := time.Now().Add(waitBound)
	for {
		var left int
		db.QueryRow("SELECT COUNT(*) FROM jobs WHERE queue IN ('inbound', 'sns.delivery')").Scan(&left)
		if left == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d jobs still queued: %s", left, claims(db))
		}
		time.Sleep(100 * time.Millisecond)
	}
	for _, st := range []string{"PENDING", "RETRYING", "FAILED"} {
		if n := len(procs[0].devNode().inboundStatus(t, st)); n > 0 {
			t.Errorf("%d inbound messages %s", n, st)
		}
	}
	delivered := len(procs[2].devNode().inboundStatus(t, "DELIVERED"))
	if delivered < len(ids) || delivered > distinct {
		t.Errorf("%d messages DELIVERED: want between %d acknowledged and %d the subscriber saw", delivered, len(ids), distinct)
	}
	t.Logf("%d messages DELIVERED (%d stored by the dead node without an acknowledgement)", delivered, delivered-len(ids))
}

// waitBodies waits until every body has arrived and returns those that
// did not.
func waitBodies(s *subscriber, bodies []string) []string {
	deadline := time.Now().Add(waitBound)
	for {
		var missing []string
		s.mu.Lock()
		for _, b := range bodies {
			if s.bodies[b] == 0 {
				missing = append(missing, b)
			}
		}
		s.mu.Unlock()
		if len(missing) == 0 || time.Now().After(deadline) {
			return missing
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// claims summarizes the claimed jobs by queue and owner.
func claims(db *sql.DB) string {
	rows, err := db.Query("SELECT queue, owner, COUNT(*) FROM jobs WHERE owner <> '' GROUP BY queue, owner")
	if err != nil {
		return err.Error()
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var q, o string
		var n int
		rows.Scan(&q, &o, &n)
		out = append(out, fmt.Sprintf("%s by %s: %d", q, o, n))
	}
	sort.Strings(out)
	if len(out) == 0 {
		return "none"
	}
	return strings.Join(out, "; ")
}
