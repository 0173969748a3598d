package main

import (
	"image/color"

	"github.com/midstream/midstream/bench/internal/pipeline"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
)

// plotLatency draws p50, p99 and p99.9 of every analyser's chunk → verdict latency and of the
// gateway's chunk → action latency against offered load, on a log scale.
func plotLatency(res *pipeline.Result, path string) error {
	p := plot.New()
	p.Title.Text = "midstream inflight latency against offered load"
	p.X.Label.Text = "offered load (chunks/s)"
	p.Y.Label.Text = "latency (ms, log scale)"
	p.Y.Scale = plot.LogScale{}
	p.Y.Tick.Marker = plot.LogTicks{Prec: -1}
	p.Legend.Top = true
	p.Legend.Left = true
	series := analysers(res)
	series = append(series, "action")
	i := 0
	for _, name := range series {
		for _, q := range []struct {
			label string
			get   func(pipeline.Latency) float64
		}{{"p50", func(l pipeline.Latency) float64 { return l.P50 }}, {"p99", func(l pipeline.Latency) float64 { return l.P99 }},
			{"p99.9", func(l pipeline.Latency) float64 { return l.P999 }}} {
			var pts plotter.XYs
			for _, s := range res.Steps {
				l := s.Action
				if name != "action" {
					l = s.Verdict[name]
				}
				if l.N == 0 || q.get(l) <= 0 {
					continue
				}
				pts = append(pts, plotter.XY{X: s.Offered, Y: q.get(l)})
			}
			if len(pts) == 0 {
				continue
			}
			line, points, err := plotter.NewLinePoints(pts)
			if err != nil {
				return err
			}
			c := plotutil.Color(i / 3)
			line.Color, points.Color = c, c
			line.Dashes = plotutil.Dashes(i % 3)
			points.Shape = plotutil.Shape(i % 3)
			p.Add(line, points)
			label := name + " verdict " + q.label
			if name == "action" {
				label = "action at gateway " + q.label
			}
			p.Legend.Add(label, line, points)
			i++
		}
	}
	goal := plotter.NewFunction(func(float64) float64 { return 10 })
	goal.Color = color.RGBA{R: 200, A: 255}
	goal.Dashes = []vg.Length{vg.Points(2), vg.Points(2)}
	p.Add(goal)
	p.Legend.Add("10 ms verdict goal", goal)
	return p.Save(9*vg.Inch, 6*vg.Inch, path)
}

// plotThroughput draws what the gateways sent and what the slowest analyser analysed against
// offered load, with the bus's raw publish+consume limit.
func plotThroughput(res *pipeline.Result, path string) error {
	p := plot.New()
	p.Title.Text = "midstream throughput against offered load"
	p.X.Label.Text = "offered load (chunks/s)"
	p.Y.Label.Text = "chunks/s"
	p.Legend.Top = true
	p.Legend.Left = true
	var sent, analysed plotter.XYs
	for _, s := range res.Steps {
		sent = append(sent, plotter.XY{X: s.Offered, Y: s.Sent})
		slow := -1.0
		for _, v := range s.Analysed {
			if slow < 0 || v < slow {
				slow = v
			}
		}
		analysed = append(analysed, plotter.XY{X: s.Offered, Y: max(slow, 0)})
	}
	if err := plotutil.AddLinePoints(p, "sent by the gateways", sent, "analysed (slowest analyser)", analysed); err != nil {
		return err
	}
	bus := plotter.NewFunction(func(float64) float64 { return res.Bus.PubConsPerSec })
	bus.Color = color.RGBA{R: 200, A: 255}
	bus.Dashes = []vg.Length{vg.Points(4), vg.Points(2)}
	p.Add(bus)
	p.Legend.Add("bus limit: publish + acked consume", bus)
	half := plotter.NewFunction(func(float64) float64 { return res.Bus.PubConsPerSec / 2 })
	half.Color = color.RGBA{R: 200, G: 120, A: 255}
	half.Dashes = []vg.Length{vg.Points(1), vg.Points(2)}
	p.Add(half)
	p.Legend.Add("goal: 50% of the bus limit", half)
	return p.Save(8*vg.Inch, 5*vg.Inch, path)
}
