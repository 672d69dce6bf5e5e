package main

import (
	"fmt"
	"image/color"
	"math"
	"path/filepath"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

var dashed = []vg.Length{vg.Points(6), vg.Points(4)}
var dotted = []vg.Length{vg.Points(2), vg.Points(3)}

func newPlot(title, x, y string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = x
	p.Y.Label.Text = y
	p.Add(plotter.NewGrid())
	p.Legend.Top = true
	p.Legend.Left = true
	p.Legend.Padding = vg.Points(4)
	return p
}

// logTicks labels 1, 2 and 5 times a power of ten and marks the rest.
type logTicks struct{}

func (logTicks) Ticks(lo, hi float64) []plot.Tick {
	var ts []plot.Tick
	for e := math.Floor(math.Log10(lo)); e <= math.Ceil(math.Log10(hi)); e++ {
		base := math.Pow(10, e)
		for m := 1.0; m < 10; m++ {
			v := m * base
			if v < lo*0.999 || v > hi*1.001 {
				continue
			}
			t := plot.Tick{Value: v}
			if m == 1 || m == 2 || m == 5 {
				t.Label = strconv.FormatFloat(v, 'f', -1, 64)
			}
			ts = append(ts, t)
		}
	}
	return ts
}

// rateAxis puts the offered rates on a log X axis, each one labelled.
func rateAxis(p *plot.Plot, ss []series) {
	seen := map[float64]bool{}
	var ts []plot.Tick
	for _, s := range ss {
		for _, pt := range s.Points {
			if pt.Offered > 0 && !seen[pt.Offered] {
				seen[pt.Offered] = true
				ts = append(ts, plot.Tick{Value: pt.Offered, Label: strconv.FormatFloat(pt.Offered, 'f', -1, 64)})
			}
		}
	}
	p.X.Scale = plot.LogScale{}
	p.X.Tick.Marker = plot.ConstantTicks(ts)
}

func save(p *plot.Plot, path string) error {
	return p.Save(9*vg.Inch, 5.5*vg.Inch, path)
}

// openPoints are a series' open-loop points (Offered > 0) with a value.
func openPoints(s series, f func(point) float64) plotter.XYs {
	var xy plotter.XYs
	for _, pt := range s.Points {
		if pt.Offered > 0 && pt.Throughput.N > 0 {
			if v := f(pt); v > 0 {
				xy = append(xy, plotter.XY{X: pt.Offered, Y: v})
			}
		}
	}
	return xy
}

func addLine(p *plot.Plot, xy plotter.XYs, c color.Color, dashes []vg.Length, shape draw.GlyphDrawer, name string) error {
	if len(xy) == 0 {
		return nil
	}
	l, sc, err := plotter.NewLinePoints(xy)
	if err != nil {
		return err
	}
	l.Color, l.Width, l.Dashes = c, vg.Points(1.8), dashes
	sc.Color, sc.Shape, sc.Radius = c, shape, vg.Points(3)
	p.Add(l, sc)
	p.Legend.Add(name, l, sc)
	return nil
}

func hline(p *plot.Plot, y, x0, x1 float64, c color.Color, dashes []vg.Length, name string) error {
	l, err := plotter.NewLine(plotter.XYs{{X: x0, Y: y}, {X: x1, Y: y}})
	if err != nil {
		return err
	}
	l.Color, l.Width, l.Dashes = c, vg.Points(1.2), dashes
	p.Add(l)
	p.Legend.Add(name, l)
	return nil
}

func rateRange(ss []series) (float64, float64) {
	lo, hi := 0.0, 0.0
	for _, s := range ss {
		for _, pt := range s.Points {
			if pt.Offered > 0 && (lo == 0 || pt.Offered < lo) {
				lo = pt.Offered
			}
			hi = max(hi, pt.Offered)
		}
	}
	return lo, hi
}

// throughputChart: achieved against offered rate per system, with each
// system's closed-loop maximum as a dashed line and the offered rate as a
// dotted diagonal.
func throughputChart(ss []series, title, path string, extra func(p *plot.Plot, x0, x1 float64) error) error {
	p := newPlot(title, "offered load (msgs/s, open loop, log scale)", "throughput (msgs/s)")
	x0, x1 := rateRange(ss)
	if x1 == 0 {
		return nil
	}
	rateAxis(p, ss)
	// y = x, sampled along the log X axis so that it is drawn as it is.
	var diag plotter.XYs
	for t := 0.0; t <= 1.0001; t += 0.02 {
		x := x0 * math.Pow(x1/x0, t)
		diag = append(diag, plotter.XY{X: x, Y: x})
	}
	ideal, _ := plotter.NewLine(diag)
	ideal.Color, ideal.Dashes = color.Gray{Y: 150}, dotted
	p.Add(ideal)
	p.Legend.Add("offered", ideal)
	for i, s := range ss {
		c := plotutil.Color(i)
		if err := addLine(p, openPoints(s, func(pt point) float64 { return pt.Throughput.Median }), c, nil, plotutil.Shape(i), s.System); err != nil {
			return err
		}
		if cl := s.closed(); cl != nil && cl.Throughput.Median > 0 {
			if err := hline(p, cl.Throughput.Median, x0, x1, c, dashed, fmt.Sprintf("%s max (closed loop) %.0f", s.System, cl.Throughput.Median)); err != nil {
				return err
			}
		}
	}
	if extra != nil {
		if err := extra(p, x0, x1); err != nil {
			return err
		}
	}
	p.Y.Min = 0
	// Room above the data for the legend.
	entries := 1 + 2*len(ss)
	if extra != nil {
		entries += 2
	}
	p.Y.Max *= 1.2 + 0.07*float64(entries)
	return save(p, path)
}

// latencyChart: p50 (solid) and p99 (dashed) against offered rate, log
// scale.
func latencyChart(ss []series, title, path string) error {
	p := newPlot(title, "offered load (msgs/s, open loop, log scale)", "latency (ms, log scale)")
	p.Y.Scale = plot.LogScale{}
	p.Y.Tick.Marker = logTicks{}
	rateAxis(p, ss)
	some := false
	for i, s := range ss {
		c := plotutil.Color(i)
		p50 := openPoints(s, func(pt point) float64 { return pt.P50.Median })
		p99 := openPoints(s, func(pt point) float64 { return pt.P99.Median })
		some = some || len(p50) > 0
		if err := addLine(p, p50, c, nil, plotutil.Shape(i), s.System+" p50"); err != nil {
			return err
		}
		if err := addLine(p, p99, c, dashed, plotutil.Shape(i), s.System+" p99"); err != nil {
			return err
		}
	}
	if !some {
		return nil
	}
	return save(p, path)
}

func (h *harness) charts() []string {
	var made []string
	try := func(name string, f func(path string) error) {
		path := filepath.Join(h.out, name)
		if err := f(path); err != nil {
			h.res.Errors = append(h.res.Errors, "chart "+name+": "+err.Error())
			return
		}
		if fileExists(path) {
			made = append(made, name)
		}
	}
	r := h.res
	if len(r.MO) > 0 {
		try("mo-throughput.png", func(p string) error {
			return throughputChart(r.MO, "MO end to end: SMSC → gateway → HTTP app", p, nil)
		})
		try("mo-latency.png", func(p string) error {
			return latencyChart(r.MO, "MO end-to-end latency (from when each deliver_sm was due)", p)
		})
	}
	if len(r.MT) > 0 {
		try("mt-throughput.png", func(p string) error {
			return throughputChart(r.MT, "MT: HTTP API → gateway → submit_sm at the SMSC", p, nil)
		})
		try("mt-latency.png", func(p string) error {
			return latencyChart(r.MT, "MT latency (from when each API call was due to its submit_sm)", p)
		})
	}
	if r.Signed != nil {
		try("signed-throughput.png", func(p string) error {
			return throughputChart([]series{*r.Signed}, "Signed SNS delivery (duplex, MO → signed envelope)", p, func(pl *plot.Plot, x0, x1 float64) error {
				if r.SigRate.Median <= 0 {
					return nil
				}
				if err := hline(pl, r.SigRate.Median, x0, x1, color.RGBA{R: 200, A: 255}, nil, fmt.Sprintf("RSA-2048 signatures/s, all cores: %.0f", r.SigRate.Median)); err != nil {
					return err
				}
				return hline(pl, 0.8*r.SigRate.Median, x0, x1, color.RGBA{R: 200, A: 255}, dotted, "80% of it (goal)")
			})
		})
		try("signed-latency.png", func(p string) error {
			return latencyChart([]series{*r.Signed}, "Signed SNS delivery latency (from when each deliver_sm was due)", p)
		})
	}
	if len(r.Scale) > 0 {
		try("scale.png", func(path string) error {
			p := newPlot("MO maximum rate against numbers and opt-outs in the store (duplex)", "phone numbers and opt-out entries (log scale)", "closed-loop MO msgs/s")
			p.X.Scale = plot.LogScale{}
			p.X.Tick.Marker = logTicks{}
			var xy plotter.XYs
			for _, s := range r.Scale {
				for _, pt := range s.Points {
					if pt.Offered == 0 && pt.Throughput.Median > 0 {
						xy = append(xy, plotter.XY{X: float64(s.Size), Y: pt.Throughput.Median})
					}
				}
			}
			if len(xy) == 0 {
				return nil
			}
			if err := addLine(p, xy, plotutil.Color(0), nil, plotutil.Shape(0), "duplex"); err != nil {
				return err
			}
			p.Y.Min = 0
			return save(p, path)
		})
	}
	return made
}
