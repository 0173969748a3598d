package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/nats-io/nats.go"
)

// child is the all-in-one running as a child process.
type child struct {
	cmd      *exec.Cmd
	dir      string
	natsURL  string
	quicAddr string
	httpAddr string
	nc       *nats.Conn // the load generator's connection to the child's bus
	done     chan struct{}
}

// startChild runs `midstream run` on loopback with a temporary data directory and reads the
// bound addresses from its JSON log.
func startChild(ctx context.Context, cfg config) (*child, error) {
	dir, err := os.MkdirTemp("", "midstream-loadgen-")
	if err != nil {
		return nil, err
	}
	args := []string{"run", "--data-dir", dir, "--quic-addr", "127.0.0.1:0", "--http-addr", "127.0.0.1:0",
		"--log-format", "json", "--log-level", "info"}
	if cfg.syncEvery != "" {
		args = append(args, "--sync-interval", cfg.syncEvery)
	}
	cmd := exec.Command(cfg.bin, args...)
	cmd.Env = append(os.Environ(), "OTEL_TRACES_EXPORTER=none")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	cmd.Stdout = io.Discard
	if err := cmd.Start(); err != nil {
		_ = os.RemoveAll(dir)
		return nil, fmt.Errorf("start %s: %w", cfg.bin, err)
	}
	c := &child{cmd: cmd, dir: dir, done: make(chan struct{})}
	found := make(chan struct{})
	go func() {
		defer close(c.done)
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		announced := false
		warns := 0
		for sc.Scan() {
			var rec map[string]any
			if json.Unmarshal(sc.Bytes(), &rec) != nil {
				continue
			}
			msg, _ := rec["msg"].(string)
			switch msg {
			case "embedded nats-server started":
				c.natsURL, _ = rec["url"].(string)
			case "QUIC ingest listening":
				c.quicAddr, _ = rec["addr"].(string)
			case "metrics and health":
				c.httpAddr, _ = rec["addr"].(string)
			}
			if lvl, _ := rec["level"].(string); (lvl == "ERROR" || lvl == "WARN") && warns < 10 && ctx.Err() == nil {
				warns++
				logf("midstream: %s", sc.Text())
			}
			if !announced && c.natsURL != "" && c.quicAddr != "" && c.httpAddr != "" {
				announced = true
				close(found)
			}
		}
		_ = cmd.Wait()
	}()
	select {
	case <-found:
	case <-c.done:
		c.stop()
		return nil, errors.New("midstream run exited before listening")
	case <-time.After(30 * time.Second):
		c.stop()
		return nil, errors.New("midstream run did not announce its addresses within 30 s")
	case <-ctx.Done():
		c.stop()
		return nil, ctx.Err()
	}
	// Wait until every service is ready.
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		resp, err := http.Get("http://" + c.httpAddr + "/readyz")
		if err == nil {
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return c, nil
			}
		}
	}
	c.stop()
	return nil, errors.New("midstream run did not become ready within 30 s")
}

func (c *child) stop() {
	if c.cmd.Process != nil {
		_ = c.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-c.done:
		case <-time.After(15 * time.Second):
			_ = c.cmd.Process.Kill()
			<-c.done
		}
	}
	_ = os.RemoveAll(c.dir)
}

// metrics is one scrape of a Prometheus text exposition: series → value.
type metrics map[string]float64

func scrape(ctx context.Context, addr string) (metrics, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+"/metrics", nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer func() { _ = resp.Body.Close() }()
	return parseMetrics(resp.Body)
}

// parseMetrics reads a Prometheus text exposition: every sample line "series value".
func parseMetrics(r io.Reader) (metrics, error) {
	m := metrics{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		if i < 0 {
			continue
		}
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			continue
		}
		m[line[:i]] = v
	}
	return m, sc.Err()
}

// get sums every series of the metric name.
func (m metrics) get(name string) float64 {
	var s float64
	for k, v := range m {
		if k == name || strings.HasPrefix(k, name+"{") {
			s += v
		}
	}
	return s
}

// byLabel sums the series of name by the value of one label.
func (m metrics) byLabel(name, label string) map[string]float64 {
	out := map[string]float64{}
	for k, v := range m {
		if !strings.HasPrefix(k, name+"{") {
			continue
		}
		key := label + `="`
		i := strings.Index(k, key)
		if i < 0 {
			continue
		}
		rest := k[i+len(key):]
		j := strings.IndexByte(rest, '"')
		if j < 0 {
			continue
		}
		out[rest[:j]] += v
	}
	return out
}
