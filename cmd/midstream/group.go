package main

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
)

// group runs the components of one process. The first component to fail cancels the others;
// Wait returns that first error after every component has returned.
type group struct {
	ctx    context.Context
	cancel context.CancelFunc
	log    *slog.Logger
	wg     sync.WaitGroup
	once   sync.Once
	err    error
}

func newGroup(ctx context.Context, log *slog.Logger) *group {
	ctx, cancel := context.WithCancel(ctx)
	return &group{ctx: ctx, cancel: cancel, log: log}
}

// Go starts a named component; it must return when the group's context ends.
func (g *group) Go(name string, run func(ctx context.Context) error) {
	g.wg.Add(1)
	go func() {
		defer g.wg.Done()
		err := run(g.ctx)
		if err != nil && g.ctx.Err() == nil {
			g.once.Do(func() {
				g.err = fmt.Errorf("%s: %w", name, err)
				g.log.Error("component failed; stopping", "component", name, "err", err)
				g.cancel()
			})
			return
		}
		g.log.Debug("component stopped", "component", name)
	}()
}

// Stop cancels every component.
func (g *group) Stop() { g.cancel() }

// Wait waits for every component and returns the first failure.
func (g *group) Wait() error {
	g.wg.Wait()
	g.cancel()
	return g.err
}
