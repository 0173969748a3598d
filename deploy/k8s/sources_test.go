package k8s

import (
	"bytes"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"sigs.k8s.io/yaml"
)

// repoRoot is the repository root, relative to this module.
const repoRoot = "../.."

var envName = regexp.MustCompile(`^MIDSTREAM_[A-Z0-9_]+$`)

// envRead returns the MIDSTREAM_* names that occur as string literals in the Go sources: the
// environment variables the binary reads (every flag's default comes from one).
func envRead(t *testing.T, files []string) map[string]bool {
	t.Helper()
	out := map[string]bool{}
	for _, f := range files {
		file, err := parser.ParseFile(token.NewFileSet(), filepath.Join(repoRoot, f), nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(file, func(n ast.Node) bool {
			if lit, ok := n.(*ast.BasicLit); ok && lit.Kind == token.STRING {
				if s, err := strconv.Unquote(lit.Value); err == nil && envName.MatchString(s) {
					out[s] = true
				}
			}
			return true
		})
	}
	if len(out) == 0 {
		t.Fatalf("no MIDSTREAM_* names in %v", files)
	}
	return out
}

func TestEnvReadFindsTheCommonFlags(t *testing.T) {
	read := envRead(t, []string{"pkg/svc/svc.go"})
	for _, name := range []string{"MIDSTREAM_NATS_URL", "MIDSTREAM_NATS_CREDS", "MIDSTREAM_HTTP_ADDR", "MIDSTREAM_PARTITIONS"} {
		if !read[name] {
			t.Errorf("pkg/svc/svc.go: %s not found", name)
		}
	}
	if read["MIDSTREAM_INGEST_ADDR"] {
		t.Error("pkg/svc/svc.go: MIDSTREAM_INGEST_ADDR found; the parser reads the wrong file")
	}
}

// TestServicesAreTheMains checks the service table against the repository: every service
// directory has its main, and every main is in the table.
func TestServicesAreTheMains(t *testing.T) {
	mains, err := filepath.Glob(filepath.Join(repoRoot, "services", "*", "cmd", "*", "main.go"))
	if err != nil {
		t.Fatal(err)
	}
	var got, want []string
	for _, m := range mains {
		rel, _ := filepath.Rel(repoRoot, filepath.Dir(m))
		got = append(got, filepath.ToSlash(rel))
	}
	for _, s := range Services {
		want = append(want, s.Main)
		if filepath.Base(s.Main) != s.Name {
			t.Errorf("%s: main %s is not named after the service", s.Name, s.Main)
		}
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("service mains %v, table %v", got, want)
	}
}

// TestDockerfileBuildsEveryService checks that the image holds every binary the manifests run
// and has a target per service.
func TestDockerfileBuildsEveryService(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(repoRoot, "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	df := string(b)
	for _, s := range append(slices.Clone(Services), Service{Name: "midstream", Main: "cmd/midstream"}) {
		if !strings.Contains(df, " "+s.Main+" ") && !strings.Contains(df, " "+s.Main+";") {
			t.Errorf("Dockerfile does not build %s", s.Main)
		}
		if s.Name != "midstream" && !strings.Contains(df, "AS "+s.Name+"\nENTRYPOINT [\"/usr/local/bin/"+s.Name+"\"]") {
			t.Errorf("Dockerfile has no target %s with entrypoint /usr/local/bin/%s", s.Name, s.Name)
		}
	}
	if !strings.Contains(df, "USER 65532:65532") || !strings.Contains(df, "distroless/static") || !strings.Contains(df, "CGO_ENABLED=0") {
		t.Error("Dockerfile: want a static build on distroless/static as uid 65532")
	}
	mk, err := os.ReadFile(filepath.Join(repoRoot, "Makefile"))
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`(?m)^IMAGE\s+\?= ` + regexp.QuoteMeta(Image) + `$`).Match(mk) {
		t.Errorf("Makefile: IMAGE default is not %s", Image)
	}
}

// TestSchedulerConsumerDefaults reads the scheduler main's consumer settings back from its
// source: they are the ones Services declares for the generated consumers.
func TestSchedulerConsumerDefaults(t *testing.T) {
	const main = "services/scheduler/cmd/scheduler/main.go"
	file, err := parser.ParseFile(token.NewFileSet(), filepath.Join(repoRoot, main), nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var ackWait time.Duration
	var maxPending, maxDeliver int
	ast.Inspect(file, func(n ast.Node) bool {
		call, ok := n.(*ast.CallExpr)
		if !ok {
			return true
		}
		sel, _ := call.Fun.(*ast.SelectorExpr)
		if sel == nil {
			return true
		}
		switch {
		case sel.Sel.Name == "Duration" && len(call.Args) == 3 && stringLit(call.Args[0]) == "ack-wait":
			ackWait = durationExpr(t, call.Args[1])
		case sel.Sel.Name == "EnvInt" && len(call.Args) == 2 && stringLit(call.Args[0]) == "MIDSTREAM_SCHEDULER_MAX_ACK_PENDING":
			maxPending = intLit(call.Args[1])
		case sel.Sel.Name == "WithConsumer" && len(call.Args) == 3:
			maxDeliver = intLit(call.Args[2])
		}
		return true
	})
	var sched *Service
	for i := range Services {
		if Services[i].Name == "scheduler" {
			sched = &Services[i]
		}
	}
	c := sched.Consume
	if ackWait != c.AckWait || maxPending != c.MaxAckPending || maxDeliver != c.MaxDeliver {
		t.Errorf("%s: ack-wait %v, max-ack-pending %d, max deliver %d; Services declares %v, %d, %d",
			main, ackWait, maxPending, maxDeliver, c.AckWait, c.MaxAckPending, c.MaxDeliver)
	}
}

func stringLit(e ast.Expr) string {
	if lit, ok := e.(*ast.BasicLit); ok && lit.Kind == token.STRING {
		s, _ := strconv.Unquote(lit.Value)
		return s
	}
	return ""
}

func intLit(e ast.Expr) int {
	if lit, ok := e.(*ast.BasicLit); ok && lit.Kind == token.INT {
		n, _ := strconv.Atoi(lit.Value)
		return n
	}
	return -1
}

// durationExpr evaluates <int> * time.<Unit>.
func durationExpr(t *testing.T, e ast.Expr) time.Duration {
	units := map[string]time.Duration{"Millisecond": time.Millisecond, "Second": time.Second, "Minute": time.Minute, "Hour": time.Hour}
	if b, ok := e.(*ast.BinaryExpr); ok && b.Op == token.MUL {
		if sel, ok := b.Y.(*ast.SelectorExpr); ok && units[sel.Sel.Name] != 0 {
			return time.Duration(intLit(b.X)) * units[sel.Sel.Name]
		}
	}
	t.Errorf("ack-wait default is not <int> * time.<Unit>")
	return 0
}

// TestNACKUpToDate regenerates the NACK resources and fails when the committed files differ:
// run `go generate ./...` in deploy/k8s after changing pkg/bus.
func TestNACKUpToDate(t *testing.T) {
	files, err := NACKFiles(Topology(), Consumers())
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range files {
		names = append(names, f.Name)
		got, err := os.ReadFile(filepath.Join("nack", f.Name))
		if err != nil || !bytes.Equal(got, f.Data) {
			t.Errorf("nack/%s is not what pkg/bus generates (%v): run go generate ./... in deploy/k8s", f.Name, err)
		}
	}
	committed, _ := filepath.Glob(filepath.Join("nack", "*"))
	for _, c := range committed {
		if !slices.Contains(names, filepath.Base(c)) {
			t.Errorf("%s is not generated any more: delete it", c)
		}
	}
}

// TestNACKResources renders the committed NACK kustomization and checks it against the
// topology: every stream, bucket and partition consumer, decoded strictly.
func TestNACKResources(t *testing.T) {
	o := render(t, "nack")
	topo := Topology()
	if len(o.stream) != len(topo.Streams()) || len(o.keyValues) != len(topo.KeyValues()) || len(o.consumers) != len(Consumers())*Partitions {
		t.Fatalf("%d streams, %d buckets, %d consumers", len(o.stream), len(o.keyValues), len(o.consumers))
	}
	streams := map[string]bool{}
	for i, sc := range topo.Streams() {
		s := o.stream[i].Spec
		streams[s.Name] = true
		if s.Name != sc.Name || !slices.Equal(s.Subjects, sc.Subjects) || s.Replicas != StreamReplicas || s.Storage != "file" {
			t.Errorf("stream %d: %+v, declared %s %v", i, s, sc.Name, sc.Subjects)
		}
		if maxAge, err := time.ParseDuration(s.MaxAge); err != nil || maxAge != sc.MaxAge {
			t.Errorf("stream %s: maxAge %q, declared %v", s.Name, s.MaxAge, sc.MaxAge)
		}
	}
	seen := map[string]bool{}
	for _, c := range o.consumers {
		s := c.Spec
		if !streams[s.StreamName] || seen[s.StreamName+"/"+s.DurableName] || s.PriorityPolicy != "pinned_client" || len(s.PriorityGroups) != 1 {
			t.Errorf("consumer %s: %+v", c.Metadata.Name, s)
		}
		seen[s.StreamName+"/"+s.DurableName] = true
	}
}

// TestNATSValues checks the Helm values for the official NATS chart: a 3-node cluster with
// JetStream on file storage, the monitoring port and the Prometheus exporter.
func TestNATSValues(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(repoRoot, "deploy", "nats", "values.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var v struct {
		Config struct {
			Cluster struct {
				Enabled  bool `json:"enabled"`
				Replicas int  `json:"replicas"`
			} `json:"cluster"`
			JetStream struct {
				Enabled   bool `json:"enabled"`
				FileStore struct {
					Enabled bool `json:"enabled"`
					PVC     struct {
						Enabled bool   `json:"enabled"`
						Size    string `json:"size"`
					} `json:"pvc"`
				} `json:"fileStore"`
			} `json:"jetstream"`
			Monitor struct {
				Enabled bool `json:"enabled"`
				Port    int  `json:"port"`
			} `json:"monitor"`
		} `json:"config"`
		PromExporter struct {
			Enabled bool `json:"enabled"`
		} `json:"promExporter"`
	}
	if err := yaml.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	c := v.Config
	if !c.Cluster.Enabled || c.Cluster.Replicas != StreamReplicas || !c.JetStream.Enabled || !c.JetStream.FileStore.Enabled ||
		!c.JetStream.FileStore.PVC.Enabled || c.JetStream.FileStore.PVC.Size == "" || !c.Monitor.Enabled || c.Monitor.Port != 8222 || !v.PromExporter.Enabled {
		t.Errorf("deploy/nats/values.yaml: %+v", v)
	}
}
