package k8s

import (
	"time"

	"github.com/midstream/midstream/pkg/bus"
)

// Service describes one deployable binary as the manifests run it.
type Service struct {
	// Name is the binary, the Deployment and the consumer-name prefix.
	Name string
	// Main is the directory of its main package, relative to the repository root.
	Main string
	// Sources are the files, relative to the repository root, whose MIDSTREAM_* string
	// literals are the environment variables the binary reads.
	Sources []string
	// Consume is its partitioned consumption (nil for services without partition consumers),
	// with the consumer settings its main passes to the library.
	Consume *bus.ConsumeConfig
}

// Partitions is the partition count the manifests and generated resources are written for
// (MIDSTREAM_PARTITIONS in the ConfigMap); it is bus.DefaultPartitions.
const Partitions = bus.DefaultPartitions

// StreamReplicas is the stream replication factor of the generated resources: a 3-node cluster.
const StreamReplicas = 3

var svcSources = []string{"pkg/svc/svc.go"}

// Services is every service binary. The consumer settings of the scheduler are its main's
// defaults (ack-wait 2m, MIDSTREAM_SCHEDULER_MAX_ACK_PENDING 2000, max deliver 10); a test
// reads them back from services/scheduler/cmd/scheduler/main.go. The analysers use the
// bus.ConsumeConfig defaults. metalearn's three consumers are declared inside the service
// (not partitioned, not exported) and are not generated.
var Services = []Service{
	{Name: "ingest", Main: "services/ingest/cmd/ingest", Sources: []string{"services/ingest/cmd/ingest/main.go"}},
	{Name: "scheduler", Main: "services/scheduler/cmd/scheduler",
		Sources: append([]string{"services/scheduler/cmd/scheduler/main.go"}, svcSources...),
		Consume: &bus.ConsumeConfig{Service: "scheduler", Stream: bus.StreamChunks, Partitions: Partitions,
			AckWait: 2 * time.Minute, MaxAckPending: 2000, MaxDeliver: 10}},
	{Name: "compare", Main: "services/compare/cmd/compare",
		Sources: append([]string{"services/compare/cmd/compare/main.go"}, svcSources...),
		Consume: &bus.ConsumeConfig{Service: "compare", Stream: bus.StreamWork, Partitions: Partitions}},
	{Name: "attractor", Main: "services/attractor/cmd/attractor",
		Sources: append([]string{"services/attractor/cmd/attractor/main.go"}, svcSources...),
		Consume: &bus.ConsumeConfig{Service: "attractor", Stream: bus.StreamWork, Partitions: Partitions}},
	{Name: "verifier", Main: "services/verifier/cmd/verifier",
		Sources: append([]string{"services/verifier/cmd/verifier/main.go"}, svcSources...),
		Consume: &bus.ConsumeConfig{Service: "verifier", Stream: bus.StreamWork, Partitions: Partitions}},
	{Name: "metalearn", Main: "services/metalearn/cmd/metalearn",
		Sources: append([]string{"services/metalearn/cmd/metalearn/main.go"}, svcSources...)},
}

// Topology is the topology the NACK resources are generated for.
func Topology() bus.Topology {
	return bus.Topology{Partitions: Partitions, Replicas: StreamReplicas}
}

// Consumers is the partition consumers of every service that has them.
func Consumers() []bus.ConsumeConfig {
	var cs []bus.ConsumeConfig
	for _, s := range Services {
		if s.Consume != nil {
			cs = append(cs, *s.Consume)
		}
	}
	return cs
}
