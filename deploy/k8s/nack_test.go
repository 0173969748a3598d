package k8s

import (
	"strings"
	"testing"

	"github.com/midstream/midstream/pkg/bus"
)

func TestNACKFilesRefusesMismatches(t *testing.T) {
	if _, err := NACKFiles(bus.Topology{Partitions: 2000}, nil); err == nil {
		t.Error("a topology Provision refuses was rendered")
	}
	cs := []bus.ConsumeConfig{{Service: "compare", Stream: bus.StreamWork, Partitions: 8}}
	if _, err := NACKFiles(bus.Topology{Partitions: 16}, cs); err == nil || !strings.Contains(err.Error(), "8 partitions") {
		t.Errorf("consumers for another partition count: err = %v", err)
	}
	cs = []bus.ConsumeConfig{{Service: "x", Stream: bus.StreamVerdicts}}
	if _, err := NACKFiles(bus.Topology{Partitions: 2}, cs); err == nil {
		t.Error("consumers on an unpartitioned stream were rendered")
	}
}

func TestNACKFilesFollowTheTopology(t *testing.T) {
	files, err := NACKFiles(bus.Topology{Partitions: 4, Replicas: 1}, []bus.ConsumeConfig{{Service: "compare", Stream: bus.StreamWork}})
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]string{}
	for _, f := range files {
		byName[f.Name] = string(f.Data)
	}
	if n := strings.Count(byName["consumers-compare.yaml"], "kind: Consumer"); n != 4 {
		t.Errorf("%d consumers for 4 partitions", n)
	}
	if !strings.Contains(byName["streams.yaml"], "{{partition(4,1)}}") || strings.Contains(byName["streams.yaml"], "replicas: 3") {
		t.Error("streams.yaml does not follow the 4-partition R1 topology")
	}
	if !strings.Contains(byName["kustomization.yaml"], "- consumers-compare.yaml") {
		t.Error("kustomization.yaml does not list the consumers")
	}
}
