package main

import (
	"math"
	"slices"
	"sort"
	"time"
)

// sample is one measured run.
type sample struct {
	Offered    float64           `json:"offered"` // msgs/s; 0 = closed loop
	Count      int               `json:"count"`
	Arrived    int               `json:"arrived"`
	Seconds    float64           `json:"seconds"`
	Throughput float64           `json:"throughput"` // msgs/s, end to end
	P50        float64           `json:"p50ms"`      // end-to-end latency, open loop only
	P99        float64           `json:"p99ms"`
	Max        float64           `json:"maxms"`
	Extra      map[string]string `json:"extra,omitempty"`
	CPU        map[string]cpuUse `json:"cpu"`
	// OtherCores is what processes outside the benchmark used meanwhile.
	OtherCores float64 `json:"otherCores"`
	Errors     int     `json:"errors"`
	Note       string  `json:"note,omitempty"`
}

// stat is the median and spread of one figure over repetitions.
type stat struct {
	Median float64 `json:"median"`
	Min    float64 `json:"min"`
	Max    float64 `json:"max"`
	N      int     `json:"n"`
}

func statOf(v []float64) stat {
	var xs []float64
	for _, x := range v {
		if !math.IsNaN(x) {
			xs = append(xs, x)
		}
	}
	if len(xs) == 0 {
		return stat{}
	}
	sort.Float64s(xs)
	m := xs[len(xs)/2]
	if len(xs)%2 == 0 {
		m = (xs[len(xs)/2-1] + xs[len(xs)/2]) / 2
	}
	return stat{Median: m, Min: xs[0], Max: xs[len(xs)-1], N: len(xs)}
}

// point aggregates the repetitions at one offered load.
type point struct {
	Offered    float64         `json:"offered"`
	Samples    []sample        `json:"samples"`
	Throughput stat            `json:"throughput"`
	P50        stat            `json:"p50ms"`
	P99        stat            `json:"p99ms"`
	CPU        map[string]stat `json:"cpuCores"`
	CPUPerMsg  map[string]stat `json:"cpuUsPerMsg"`
	Arrived    stat            `json:"arrived"`
	OtherCores stat            `json:"otherCores"`
}

func aggregate(offered float64, ss []sample) point {
	p := point{Offered: offered, Samples: ss, CPU: map[string]stat{}, CPUPerMsg: map[string]stat{}}
	var tp, p50, p99, arr, oth []float64
	cpu := map[string][]float64{}
	per := map[string][]float64{}
	for _, s := range ss {
		tp = append(tp, s.Throughput)
		arr = append(arr, float64(s.Arrived))
		oth = append(oth, s.OtherCores)
		if offered > 0 && s.Arrived > 0 {
			p50 = append(p50, s.P50)
			p99 = append(p99, s.P99)
		}
		for k, c := range s.CPU {
			cpu[k] = append(cpu[k], c.Cores)
			per[k] = append(per[k], c.USPerMsg)
		}
	}
	p.Throughput, p.P50, p.P99, p.Arrived, p.OtherCores = statOf(tp), statOf(p50), statOf(p99), statOf(arr), statOf(oth)
	for k := range cpu {
		p.CPU[k] = statOf(cpu[k])
		p.CPUPerMsg[k] = statOf(per[k])
	}
	return p
}

// series is one system's results of one workload.
type series struct {
	System   string  `json:"system"`
	Workload string  `json:"workload"`
	Points   []point `json:"points"` // open-loop rates ascending, then the closed loop (Offered 0)
	Note     string  `json:"note,omitempty"`
}

func (s *series) closed() *point {
	for i := range s.Points {
		if s.Points[i].Offered == 0 {
			return &s.Points[i]
		}
	}
	return nil
}

func (s *series) at(rate float64) *point {
	for i := range s.Points {
		if s.Points[i].Offered == rate {
			return &s.Points[i]
		}
	}
	return nil
}

// percentile of durations in milliseconds (q in 0..1); 0 when empty.
func percentile(d []time.Duration, q float64) float64 {
	if len(d) == 0 {
		return 0
	}
	s := slices.Clone(d)
	slices.Sort(s)
	i := int(q*float64(len(s)-1) + 0.5)
	return float64(s[i].Microseconds()) / 1000
}
