package sns

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the service's Prometheus metrics, by topic ARN.
type metrics struct {
	published_, delivered_, retried_, failed_ *prometheus.CounterVec
	latency                                   prometheus.Histogram
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		published_: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "duplex_sns_messages_published_total",
			Help: "Messages published, by topic."}, []string{"topic"}),
		delivered_: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "duplex_sns_deliveries_total",
			Help: "Notifications delivered to subscribers, by topic."}, []string{"topic"}),
		retried_: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "duplex_sns_delivery_retries_total",
			Help: "Failed delivery attempts that were scheduled for a retry, by topic."}, []string{"topic"}),
		failed_: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "duplex_sns_delivery_failures_total",
			Help: "Deliveries given up and recorded as dead letters, by topic."}, []string{"topic"}),
		latency: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "duplex_sns_delivery_latency_seconds",
			Help:    "Publish-to-delivery latency of notifications.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 10, 30, 120, 600, 3600}}),
	}
	if reg != nil {
		reg.MustRegister(m.published_, m.delivered_, m.retried_, m.failed_, m.latency)
	}
	return m
}

func (m *metrics) published(topic string, n int) {
	if n > 0 {
		m.published_.WithLabelValues(topic).Add(float64(n))
	}
}

func (m *metrics) delivered(topic string, d time.Duration) {
	m.delivered_.WithLabelValues(topic).Inc()
	m.latency.Observe(d.Seconds())
}

func (m *metrics) retried(topic string) { m.retried_.WithLabelValues(topic).Inc() }
func (m *metrics) failed(topic string)  { m.failed_.WithLabelValues(topic).Inc() }
