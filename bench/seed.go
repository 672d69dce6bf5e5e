package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/duplexsms/duplex/internal/smsvoice"
	"github.com/duplexsms/duplex/internal/store"
	"github.com/duplexsms/duplex/internal/store/sqlstore"
)

// Record kinds as smsvoice stores them (its constants are unexported).
const (
	kindNumber      = "sms.phone-number"
	kindNumberIndex = "sms.number-index"
)

// seededNumber is the i-th number seeded for the scale workload (US
// toll-free, outside the inventory's numbers) and optedOut the i-th
// customer number on the Default opt-out list.
func seededNumber(i int) string { return fmt.Sprintf("+1833%07d", 6000000+i) }
func optedOut(i int) string     { return fmt.Sprintf("+1425%07d", 7000000+i) }

const seedBatch = 100_000

// seed writes n phone numbers and n opt-out entries into duplex's stopped
// SQLite store: each number is a copy of the two-way number numberID
// (same account, carrier and two-way topic) with its own ID and E.164
// number, written as RequestPhoneNumber writes it (the number record and
// the global number index); opt-outs go through smsvoice.Service.OptOutTx.
// Directly through sqlstore, in transactions of seedBatch numbers.
func seed(ctx context.Context, dataDir, account, numberID string, n int) (time.Duration, error) {
	t0 := time.Now()
	st, err := sqlstore.OpenSQLite(ctx, dataDir)
	if err != nil {
		return 0, err
	}
	defer st.Close()
	rec, err := st.Get(ctx, account, kindNumber, numberID)
	if err != nil {
		return 0, fmt.Errorf("read number %s: %w", numberID, err)
	}
	var tmpl smsvoice.PhoneNumber
	if err := json.Unmarshal(rec.Data, &tmpl); err != nil {
		return 0, err
	}
	svc := smsvoice.New(st, benchRegion)
	for lo := 0; lo < n; lo += seedBatch {
		hi := min(n, lo+seedBatch)
		err := st.Update(ctx, func(tx store.Tx) error {
			for i := lo; i < hi; i++ {
				p := tmpl
				p.Info.PhoneNumberId = fmt.Sprintf("phone-%032x", i+1)
				p.Info.PhoneNumber = seededNumber(i)
				p.Info.PhoneNumberArn = strings.TrimSuffix(tmpl.Info.PhoneNumberArn, tmpl.Info.PhoneNumberId) + p.Info.PhoneNumberId
				b, err := json.Marshal(p)
				if err != nil {
					return err
				}
				if err := tx.Insert(ctx, store.Record{Account: account, Kind: kindNumber, ID: p.Info.PhoneNumberId, Data: b}); err != nil {
					return err
				}
				idx, _ := json.Marshal(struct {
					Account string `json:"account"`
					ID      string `json:"id"`
				}{account, p.Info.PhoneNumberId})
				if err := tx.Insert(ctx, store.Record{Kind: kindNumberIndex, ID: p.Info.PhoneNumber, Data: idx}); err != nil {
					return err
				}
				if err := svc.OptOutTx(ctx, tx, account, "Default", optedOut(i), true); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return 0, fmt.Errorf("seed %d–%d: %w", lo, hi, err)
		}
	}
	return time.Since(t0), nil
}

func newRand(seed int64) *rand.Rand { return rand.New(rand.NewPCG(uint64(seed), 0x9e3779b97f4a7c15)) }
