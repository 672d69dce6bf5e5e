package smpp

import (
	"context"
	"fmt"
	"log/slog"
	"sort"
	"sync"
	"time"

	"github.com/google/uuid"
)

// Manager runs every configured link.
type Manager struct {
	carriers map[string]*Carrier
	links    []*Link
	o        Options
}

// NewManager builds the carriers of links (grouped by name). Nothing
// connects before Run.
func NewManager(links []LinkConfig, o Options) (*Manager, error) {
	if o.Log == nil {
		o.Log = slog.Default()
	}
	if o.Metrics == nil {
		o.Metrics = NewMetrics(nil)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.SendWait <= 0 {
		o.SendWait = 5 * time.Second
	}
	if o.ReassemblyTimeout <= 0 {
		o.ReassemblyTimeout = time.Hour
	}
	if len(links) > 0 && (o.Store == nil || o.SMS == nil || o.Sink == nil) {
		return nil, fmt.Errorf("smpp: links need a store, the SMS service and an inbound sink")
	}
	m := &Manager{carriers: map[string]*Carrier{}, o: o}
	instance := uuid.NewString()
	for _, cfg := range links {
		c := m.carriers[cfg.Name]
		if c == nil {
			c = &Carrier{name: cfg.Name, o: o, log: o.Log.With("carrier", cfg.Name), instance: instance,
				gc: o.commit(), changed: make(chan struct{})}
			m.carriers[cfg.Name] = c
		}
		id := cfg.Name
		if len(c.links) > 0 {
			id = fmt.Sprintf("%s#%d", cfg.Name, len(c.links)+1)
		}
		l := &Link{cfg: cfg, id: id, car: c, log: o.Log.With("link", id), lm: o.Metrics.link(id), lim: newLimiter(cfg.TPS)}
		c.links = append(c.links, l)
		m.links = append(m.links, l)
	}
	return m, nil
}

// Carriers returns the carriers by name.
func (m *Manager) Carriers() map[string]*Carrier { return m.carriers }

// Status reports every link.
func (m *Manager) Status() []LinkStatus {
	out := make([]LinkStatus, 0, len(m.links))
	for _, l := range m.links {
		out = append(out, l.Status())
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Link < out[j].Link })
	return out
}

// Run keeps every link bound until ctx ends, then drains and unbinds them.
func (m *Manager) Run(ctx context.Context) {
	var wg sync.WaitGroup
	for _, l := range m.links {
		wg.Add(1)
		go func() { defer wg.Done(); l.run(ctx) }()
	}
	for _, c := range m.carriers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			every := min(max(m.o.ReassemblyTimeout/4, 10*time.Millisecond), time.Minute)
			t := time.NewTicker(every)
			defer t.Stop()
			for {
				select {
				case <-ctx.Done():
					return
				case <-t.C:
					c.sweep(ctx)
				}
			}
		}()
	}
	wg.Wait()
}
