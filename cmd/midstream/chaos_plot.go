package main

import (
	"fmt"
	"math"
	"os"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"github.com/midstream/midstream/pkg/dynamics"
)

// maxPortraitPoints bounds the points drawn in the phase portrait; longer series are
// thinned evenly (the shape survives, the file stays small).
const maxPortraitPoints = 20000

// writeChaosPlot draws, side by side, the delay reconstruction (x(t), x(t+τ)) and
// Rosenstein's divergence curve with the fitted line over its fit range, as a PNG.
func writeChaosPlot(path string, x []float64, r *dynamics.Result) error {
	tau := r.Delay.Delay
	portrait := plot.New()
	portrait.Title.Text = fmt.Sprintf("Phase portrait (τ = %d samples): %s", tau, r.Attractor)
	portrait.X.Label.Text = "x(t)"
	portrait.Y.Label.Text = fmt.Sprintf("x(t + %d)", tau)
	n := len(x) - tau
	step := max(1, n/maxPortraitPoints)
	pts := make(plotter.XYs, 0, n/step+1)
	for i := 0; i < n; i += step {
		pts = append(pts, plotter.XY{X: x[i], Y: x[i+tau]})
	}
	line, err := plotter.NewLine(pts)
	if err != nil {
		return err
	}
	line.Width = vg.Points(0.4)
	portrait.Add(line)

	div := plot.New()
	div.Title.Text = "Divergence of nearest neighbours"
	div.X.Label.Text = "time"
	div.Y.Label.Text = "⟨ln d(t)⟩"
	if l := r.Lyapunov; l != nil && len(l.Divergence) > 0 {
		var curve plotter.XYs
		for k, v := range l.Divergence {
			if !math.IsNaN(v) {
				curve = append(curve, plotter.XY{X: float64(k) * r.Dt, Y: v})
			}
		}
		c, err := plotter.NewLine(curve)
		if err != nil {
			return err
		}
		div.Add(c)
		f := l.Fit
		a, b := float64(f.Lo), float64(f.Hi-1)
		fit, err := plotter.NewLine(plotter.XYs{
			{X: a * r.Dt, Y: f.Intercept + f.Slope*a},
			{X: b * r.Dt, Y: f.Intercept + f.Slope*b},
		})
		if err != nil {
			return err
		}
		fit.Width = vg.Points(2)
		fit.Color = plotter.DefaultGlyphStyle.Color
		fit.Dashes = []vg.Length{vg.Points(4), vg.Points(2)}
		div.Add(fit)
		div.Legend.Add(fmt.Sprintf("λ = %.4g per time unit (R² %.3f)", l.PerTime, f.R2), fit)
		div.Legend.Top = false
		div.Legend.Left = false
	}
	const w, h = 11 * vg.Inch, 5 * vg.Inch
	img := vgimg.New(w, h)
	dc := draw.New(img)
	tiles := draw.Tiles{Rows: 1, Cols: 2, PadX: vg.Millimeter * 8, PadTop: vg.Millimeter * 2, PadBottom: vg.Millimeter * 2, PadLeft: vg.Millimeter * 2, PadRight: vg.Millimeter * 4}
	canvases := plot.Align([][]*plot.Plot{{portrait, div}}, tiles, dc)
	portrait.Draw(canvases[0][0])
	div.Draw(canvases[0][1])
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := (vgimg.PngCanvas{Canvas: img}).WriteTo(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
