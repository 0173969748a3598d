package scheduler

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/midstream/midstream/pkg/bus"
	"github.com/midstream/midstream/pkg/sched"
	"github.com/nats-io/nats.go/jetstream"
)

// probeCost estimates the analysers' cost of one chunk and feeds it to the scheduler
// (ObserveCost), for LLF and admission control. The analysers' own durations are not visible
// from here, so the estimate comes from their WORK consumers: over each interval in which an
// analyser had a backlog on the partitions this replica serves at both ends (it was busy the
// whole time), its cost per chunk is the interval divided by the chunks it acknowledged; the
// slowest analyser is the bottleneck and its cost is observed for every class (analysis cost
// does not depend on the class). An interval in which no analyser was saturated says nothing
// about cost and is skipped, so an idle pipeline keeps the last estimate.
func (s *Service) probeCost(ctx context.Context) {
	t := time.NewTicker(s.o.costInterval)
	defer t.Stop()
	prev := map[string]progress{}
	last := time.Now()
	serves := map[int]bool{}
	for _, p := range s.o.only {
		serves[p] = true
	}
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			cur, err := s.workProgress(ctx, serves)
			if err != nil {
				s.log.Debug("cost probe", "err", err)
				continue
			}
			var worst time.Duration
			for name, c := range cur {
				p, ok := prev[name]
				if !ok || !p.busy || !c.busy || c.done <= p.done {
					continue
				}
				worst = max(worst, now.Sub(last)/time.Duration(c.done-p.done))
			}
			prev, last = cur, now
			if worst > 0 {
				for c := range sched.NumClasses {
					_ = s.s.ObserveCost(sched.Class(c), worst)
				}
				s.c.costProbes.Add(1)
			}
		}
	}
}

type progress struct {
	done uint64 // deliveries acknowledged (ack floor, consumer sequence)
	busy bool   // a backlog (pending or unacknowledged)
}

// workProgress sums the WORK consumers' progress per analyser over the partitions served.
func (s *Service) workProgress(ctx context.Context, serves map[int]bool) (map[string]progress, error) {
	qctx, cancel := context.WithTimeout(ctx, s.o.costInterval)
	defer cancel()
	str, err := s.js.Stream(qctx, bus.StreamWork)
	if err != nil {
		return nil, err
	}
	out := map[string]progress{}
	l := str.ListConsumers(qctx)
	for ci := range l.Info() {
		name, part, ok := splitConsumer(ci)
		if !ok || (len(serves) > 0 && !serves[part]) {
			continue
		}
		p := out[name]
		p.done += ci.AckFloor.Consumer
		p.busy = p.busy || ci.NumPending > 0 || ci.NumAckPending > 0
		out[name] = p
	}
	return out, l.Err()
}

// splitConsumer parses "<service>-p<N>".
func splitConsumer(ci *jetstream.ConsumerInfo) (string, int, bool) {
	i := strings.LastIndex(ci.Name, "-p")
	if i <= 0 {
		return "", 0, false
	}
	p, err := strconv.Atoi(ci.Name[i+2:])
	if err != nil {
		return "", 0, false
	}
	return ci.Name[:i], p, true
}
