package smsc

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/duplexsms/duplex/internal/smpp/pdu"
	"github.com/duplexsms/duplex/internal/smsenc"
)

// MO is a mobile-originated message to inject.
type MO struct {
	From string `json:"from"`
	To   string `json:"to"`
	Body string `json:"body"`
	// Coding: "" (GSM 03.38 when possible, else UCS-2), "gsm", "ucs2",
	// "latin1".
	Coding string `json:"coding,omitempty"`
	// Payload sends the whole text in one deliver_sm's message_payload TLV
	// instead of concatenated parts.
	Payload bool `json:"payload,omitempty"`
	// SAR marks parts with sar_* TLVs instead of a user data header.
	SAR bool `json:"sar,omitempty"`
	// Order of parts: "" (in order), "reverse" or "shuffle".
	Order string `json:"order,omitempty"`
	// SystemID picks the ESME to deliver to (default: any receiver).
	SystemID string `json:"systemId,omitempty"`
}

// MOResult tells how an MO was delivered.
type MOResult struct {
	Parts int `json:"parts"`
}

func moAddr(s string) pdu.Address {
	if strings.HasPrefix(s, "+") {
		return pdu.Address{TON: 1, NPI: 1, Addr: s[1:]}
	}
	return pdu.Address{TON: 0, NPI: 1, Addr: s}
}

// MOPDUs builds the deliver_sm PDUs of an MO.
func MOPDUs(mo MO, ref byte) ([]*pdu.PDU, error) {
	var coding byte
	var data []byte
	var single, multi int
	switch mo.Coding {
	case "", "gsm":
		sept, ok := smsenc.EncodeGSM(mo.Body)
		switch {
		case ok:
			data, single, multi = sept, 160, 153
		case mo.Coding == "gsm":
			return nil, errors.New("body is not in the GSM 03.38 alphabet")
		default:
			coding, data, single, multi = pdu.CodingUCS2, smsenc.EncodeUCS2(mo.Body), 140, 134
		}
	case "ucs2":
		coding, data, single, multi = pdu.CodingUCS2, smsenc.EncodeUCS2(mo.Body), 140, 134
	case "latin1":
		b, ok := smsenc.EncodeLatin1(mo.Body)
		if !ok {
			return nil, errors.New("body is not Latin-1")
		}
		coding, data, single, multi = pdu.CodingLatin1, b, 140, 134
	default:
		return nil, fmt.Errorf("unknown coding %q", mo.Coding)
	}
	base := pdu.PDU{Command: pdu.DeliverSM, Source: moAddr(mo.From), Dest: moAddr(mo.To), DataCoding: coding}
	if mo.Payload {
		p := base
		p.TLVs = []pdu.TLV{{Tag: pdu.TagMessagePayload, Value: data}}
		return []*pdu.PDU{&p}, nil
	}
	var chunks [][]byte
	switch coding {
	case pdu.CodingDefault:
		chunks = smsenc.SplitGSM(data, single, multi)
	case pdu.CodingUCS2:
		chunks = smsenc.SplitUCS2(data, single, multi)
	default:
		for len(data) > single {
			chunks = append(chunks, data[:multi])
			data = data[multi:]
		}
		chunks = append(chunks, data)
	}
	if len(chunks) > 255 {
		return nil, errors.New("message too long")
	}
	out := make([]*pdu.PDU, len(chunks))
	for i, ch := range chunks {
		p := base
		p.ShortMessage = ch
		if len(chunks) > 1 {
			if mo.SAR {
				p.TLVs = []pdu.TLV{{Tag: pdu.TagSarMsgRefNum, Value: pdu.Uint16(uint16(ref))},
					{Tag: pdu.TagSarTotalSegments, Value: []byte{byte(len(chunks))}},
					{Tag: pdu.TagSarSegmentSeqnum, Value: []byte{byte(i + 1)}}}
			} else {
				p.ESMClass = pdu.ESMClassUDHI
				p.ShortMessage = append(pdu.ConcatUDH(ref, byte(len(chunks)), byte(i+1)), ch...)
			}
		}
		out[i] = &p
	}
	switch mo.Order {
	case "reverse":
		slices.Reverse(out)
	case "shuffle":
		rand.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	}
	return out, nil
}

// SendMO delivers an MO to a bound ESME and returns once every part is
// acknowledged (deliver_sm_resp ESME_ROK). Lost connections, timeouts and
// temporary refusals are retried until ctx ends.
func (s *Server) SendMO(ctx context.Context, mo MO) (MOResult, error) {
	ps, err := MOPDUs(mo, byte(s.ref.Add(1)))
	if err != nil {
		return MOResult{}, err
	}
	for _, p := range ps {
		if _, err := s.deliver(ctx, mo.SystemID, p); err != nil {
			return MOResult{Parts: len(ps)}, err
		}
	}
	s.stats.moAcked.Add(1)
	return MOResult{Parts: len(ps)}, nil
}

// Load is a burst of MOs.
type Load struct {
	Count int     `json:"count"`
	Rate  float64 `json:"rate,omitempty"` // per second; 0: as fast as the window allows
	From  string  `json:"from"`
	To    string  `json:"to"`
	// Body of every message ("" → "load test N").
	Body string `json:"body,omitempty"`
	// Concurrency bounds messages in flight (default 64).
	Concurrency int `json:"concurrency,omitempty"`
}

// LoadResult reports a load run.
type LoadResult struct {
	Count     int     `json:"count"`
	Acked     int     `json:"acked"`
	Failed    int     `json:"failed"`
	Seconds   float64 `json:"seconds"`
	PerSecond float64 `json:"perSecond"`
	P50ms     float64 `json:"p50ms"`
	P99ms     float64 `json:"p99ms"`
	MaxMs     float64 `json:"maxMs"`
	FirstErr  string  `json:"firstError,omitempty"`
	// Start is when the first message was due; with a Rate, message i was
	// due at Start + i/Rate (benchmarks measure end-to-end latency from it).
	Start time.Time `json:"start"`
	// Sent is when each message's first deliver_sm went out (by index).
	Sent []time.Time `json:"-"`
}

// RunLoad sends Count MOs and measures how fast the ESME acknowledges them
// (deliver_sm to deliver_sm_resp, per message).
func (s *Server) RunLoad(ctx context.Context, l Load) LoadResult {
	if l.Concurrency <= 0 {
		l.Concurrency = 64
	}
	var interval time.Duration
	if l.Rate > 0 {
		interval = time.Duration(float64(time.Second) / l.Rate)
	}
	lat := make([]time.Duration, l.Count)
	sent := make([]time.Time, l.Count)
	ok := make([]bool, l.Count)
	var mu sync.Mutex
	var firstErr error
	next := make(chan int)
	var wg sync.WaitGroup
	for range l.Concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				body := l.Body
				if body == "" {
					body = fmt.Sprintf("load test %d", i)
				}
				t0 := time.Now()
				sent[i] = t0
				_, err := s.SendMO(ctx, MO{From: l.From, To: l.To, Body: body})
				lat[i] = time.Since(t0)
				ok[i] = err == nil
				if err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = err
					}
					mu.Unlock()
				}
			}
		}()
	}
	start := time.Now()
	for i := 0; i < l.Count && ctx.Err() == nil; i++ {
		if interval > 0 {
			if d := time.Until(start.Add(time.Duration(i) * interval)); d > 0 {
				time.Sleep(d)
			}
		}
		next <- i
	}
	close(next)
	wg.Wait()
	el := time.Since(start)
	r := LoadResult{Count: l.Count, Seconds: el.Seconds(), Sent: sent, Start: start}
	var good []time.Duration
	for i := range lat {
		if ok[i] {
			good = append(good, lat[i])
		}
	}
	r.Acked, r.Failed = len(good), l.Count-len(good)
	r.PerSecond = float64(r.Acked) / el.Seconds()
	r.P50ms, r.P99ms, r.MaxMs = Percentile(good, 0.50), Percentile(good, 0.99), Percentile(good, 1)
	if firstErr != nil {
		r.FirstErr = firstErr.Error()
	}
	return r
}

// Percentile of durations in milliseconds (q in 0..1).
func Percentile(d []time.Duration, q float64) float64 {
	if len(d) == 0 {
		return 0
	}
	s := slices.Clone(d)
	slices.Sort(s)
	i := int(q*float64(len(s)-1) + 0.5)
	return float64(s[i].Microseconds()) / 1000
}
