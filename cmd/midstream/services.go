package main

import (
	"context"
	"log/slog"
	"sort"

	"github.com/midstream/midstream/pkg/bus"
	"github.com/midstream/midstream/pkg/telemetry"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// host is what the all-in-one gives each service it runs.
type host struct {
	NC     *nats.Conn
	JS     jetstream.JetStream
	Log    *slog.Logger
	Topo   bus.Topology
	Health *telemetry.Health
	// Source is the stream analysers read: WORK when the scheduler runs in this process,
	// CHUNKS otherwise.
	Source string
	// DataDir is the all-in-one's data directory (seed files, generated state).
	DataDir string
}

// service is a component of the all-in-one. Each service registers itself from its own file
// (services_<name>.go), so that adding one does not touch run.go.
type service struct {
	name string
	// stage orders start-up: lower first (the scheduler before the analysers it feeds).
	stage int
	run   func(ctx context.Context, h *host) error
}

var services []service

func registerService(s service) {
	for _, o := range services {
		if o.name == s.name {
			panic("midstream: service registered twice: " + s.name)
		}
	}
	services = append(services, s)
	sort.SliceStable(services, func(i, j int) bool { return services[i].stage < services[j].stage })
}

func hasService(name string) bool {
	for _, s := range services {
		if s.name == name {
			return true
		}
	}
	return false
}
