package wire

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics counts API requests by service, operation and error code, and
// records their latency.
type Metrics struct {
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
}

// NewMetrics registers the API metrics on reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "duplex_api_requests_total",
			Help: "AWS API requests by service, operation and error code (empty code = success).",
		}, []string{"service", "operation", "code"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "duplex_api_request_duration_seconds",
			Help:    "AWS API request latency.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
		}, []string{"service", "operation"}),
	}
	reg.MustRegister(m.requests, m.latency)
	return m
}

func (m *Metrics) observe(service, op, code string, d time.Duration) {
	m.requests.WithLabelValues(service, op, code).Inc()
	m.latency.WithLabelValues(service, op).Observe(d.Seconds())
}
