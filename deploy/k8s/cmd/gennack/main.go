// Command gennack writes the NACK (JetStream controller) resources of midstream's streams,
// KV buckets and partition consumers, rendered from pkg/bus, into a directory (default
// deploy/k8s/nack when run from deploy/k8s: go generate ./...).
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/midstream/midstream/deploy/k8s"
)

func main() {
	out := flag.String("out", "nack", "output directory")
	flag.Parse()
	files, err := k8s.NACKFiles(k8s.Topology(), k8s.Consumers())
	if err == nil {
		err = os.MkdirAll(*out, 0o755)
	}
	for _, f := range files {
		if err != nil {
			break
		}
		err = os.WriteFile(filepath.Join(*out, f.Name), f.Data, 0o644)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "gennack:", err)
		os.Exit(1)
	}
}
