package smpp

import (
	"github.com/duplexsms/duplex/internal/smpp/pdu"
	"github.com/prometheus/client_golang/prometheus"
)

// Metrics of the SMPP links. Every series is labelled by link (the carrier
// name, with "#2", "#3"… for further binds of the same carrier).
type Metrics struct {
	state      *prometheus.GaugeVec
	binds      *prometheus.CounterVec
	pdus       *prometheus.CounterVec
	window     *prometheus.GaugeVec
	throttles  *prometheus.CounterVec
	receipts   *prometheus.CounterVec
	unmatched  *prometheus.CounterVec
	mo         *prometheus.CounterVec
	garbage    *prometheus.CounterVec
	submitTime *prometheus.HistogramVec
	delivery   *prometheus.HistogramVec
}

// NewMetrics registers the SMPP metrics with reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		state: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "duplex_smpp_link_state",
			Help: "Link state: 0 stopped, 1 connecting, 2 binding, 3 bound, 4 unbinding, 5 waiting to re-bind."}, []string{"link"}),
		binds: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "duplex_smpp_binds_total",
			Help: "Bind attempts by outcome (ok, refused, error)."}, []string{"link", "result"}),
		pdus: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "duplex_smpp_pdus_total",
			Help: "PDUs by direction (in, out), command and command_status."}, []string{"link", "direction", "command", "status"}),
		window: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "duplex_smpp_window_in_use",
			Help: "Outstanding submit_sm waiting for submit_sm_resp."}, []string{"link"}),
		throttles: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "duplex_smpp_throttled_total",
			Help: "submit_sm answered with ESME_RTHROTTLED or ESME_RMSGQFUL."}, []string{"link"}),
		receipts: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "duplex_smpp_receipts_total",
			Help: "Delivery receipts by stat (DELIVRD, UNDELIV, …)."}, []string{"link", "stat"}),
		unmatched: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "duplex_smpp_receipts_unmatched_total",
			Help: "Delivery receipts for no known message."}, []string{"link"}),
		mo: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "duplex_smpp_mo_total",
			Help: "Mobile-originated messages by outcome (accepted, part, rejected, error)."}, []string{"link", "result"}),
		garbage: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "duplex_smpp_garbage_total",
			Help: "Undecodable PDUs and unexpected responses from the peer."}, []string{"link"}),
		submitTime: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "duplex_smpp_submit_seconds",
			Help:    "submit_sm to submit_sm_resp.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 5}}, []string{"link"}),
		delivery: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "duplex_smpp_delivery_seconds",
			Help:    "Message creation to final delivery receipt, by final status.",
			Buckets: []float64{.01, .05, .1, .5, 1, 5, 30, 60, 300, 3600, 86400}}, []string{"carrier", "status"}),
	}
	if reg != nil {
		reg.MustRegister(m.state, m.binds, m.pdus, m.window, m.throttles, m.receipts, m.unmatched, m.mo, m.garbage,
			m.submitTime, m.delivery)
	}
	return m
}

// linkMetrics are one link's series, resolved once.
type linkMetrics struct {
	m                          *Metrics
	id                         string
	state, window              prometheus.Gauge
	throttles, unmatched, garb prometheus.Counter
	submit                     prometheus.Observer
	pduIn, pduOut              map[pdu.CommandID]prometheus.Counter // status OK, the common case
}

func (m *Metrics) link(id string) *linkMetrics {
	lm := &linkMetrics{m: m, id: id, state: m.state.WithLabelValues(id), window: m.window.WithLabelValues(id),
		throttles: m.throttles.WithLabelValues(id), unmatched: m.unmatched.WithLabelValues(id),
		garb: m.garbage.WithLabelValues(id), submit: m.submitTime.WithLabelValues(id),
		pduIn: map[pdu.CommandID]prometheus.Counter{}, pduOut: map[pdu.CommandID]prometheus.Counter{}}
	for _, c := range []pdu.CommandID{pdu.SubmitSM, pdu.SubmitSMResp, pdu.DeliverSM, pdu.DeliverSMResp, pdu.EnquireLink, pdu.EnquireLinkResp} {
		lm.pduIn[c] = m.pdus.WithLabelValues(id, "in", c.String(), pdu.StatusOK.String())
		lm.pduOut[c] = m.pdus.WithLabelValues(id, "out", c.String(), pdu.StatusOK.String())
	}
	return lm
}

func (lm *linkMetrics) observe(in bool, p *pdu.PDU) {
	if p.Status == pdu.StatusOK {
		cache := lm.pduOut
		if in {
			cache = lm.pduIn
		}
		if c, ok := cache[p.Command]; ok {
			c.Inc()
			return
		}
	}
	dir := "out"
	if in {
		dir = "in"
	}
	lm.m.pdus.WithLabelValues(lm.id, dir, p.Command.String(), p.Status.String()).Inc()
}
