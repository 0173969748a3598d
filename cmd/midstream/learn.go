package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/midstream/midstream/pkg/wire"
	"github.com/midstream/midstream/services/metalearn"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/nats-io/nats.go/micro"
)

func init() {
	register(command{name: "feedback", summary: "label an analyser's verdict on a response (true_positive, false_positive, ...)", run: feedbackCmd})
	register(command{name: "learn status", summary: "metalearn: summary and knowledge per level (JSON)", run: learnCmd("status")})
	register(command{name: "learn proposals", summary: "metalearn: pending and recent proposals (JSON)", run: learnCmd("proposals")})
	register(command{name: "learn approve", summary: "metalearn: apply pending proposal ID", run: learnCmd("approve")})
	register(command{name: "learn reject", summary: "metalearn: reject pending proposal ID [--reason R]", run: learnCmd("reject")})
	register(command{name: "learn rollback", summary: "metalearn: undo the change that produced revision REV", run: learnCmd("rollback")})
	register(command{name: "learn audit", summary: "metalearn: the audit trail [--from SEQ] (JSON)", run: learnCmd("audit")})
}

// defaultNATSURL is where the CLI's bus commands connect unless told otherwise.
func defaultNATSURL() string {
	if u := os.Getenv("MIDSTREAM_NATS_URL"); u != "" {
		return u
	}
	return nats.DefaultURL
}

// parseInterleaved parses flags that may follow positional arguments ("feedback S --label x")
// and returns the positional ones.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return pos, nil
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

func feedbackCmd(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("feedback", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: midstream feedback STREAM --analyser A [--rule R] --label true_positive|false_positive|true_negative|false_negative [--nats-url URL]")
		fs.PrintDefaults()
	}
	url := fs.String("nats-url", defaultNATSURL(), "NATS server [MIDSTREAM_NATS_URL]")
	analyser := fs.String("analyser", "", "analyser whose verdict is labelled (compare, attractor, verifier)")
	rule := fs.String("rule", "", "the verdict's rule, reference or policy id")
	label := fs.String("label", "", "true_positive, false_positive, true_negative or false_negative")
	tenant := fs.String("tenant", "", "tenant of the response (optional)")
	source := fs.String("source", "midstream-cli", "who labels")
	timeout := fs.Duration("timeout", 5*time.Second, "how long to wait for the bus")
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return 2
	}
	if len(pos) != 1 {
		fs.Usage()
		return 2
	}
	fb := wire.Feedback{Stream: pos[0], Analyser: *analyser, Rule: *rule, Label: wire.Label(*label), Tenant: *tenant,
		Source: *source, Time: time.Now().UTC()}
	if err := fb.Validate(); err != nil {
		fmt.Fprintln(stderr, "midstream feedback:", err)
		return 2
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	nc, err := nats.Connect(*url, nats.Name("midstream-cli"), nats.Timeout(*timeout))
	if err != nil {
		fmt.Fprintln(stderr, "midstream feedback:", err)
		return 1
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		fmt.Fprintln(stderr, "midstream feedback:", err)
		return 1
	}
	m := nats.NewMsg(wire.FeedbackSubject(fb.Stream))
	m.Data, _ = json.Marshal(fb)
	m.Header.Set(wire.HeaderSchema, wire.SchemaFeedback)
	ack, err := js.PublishMsg(ctx, m)
	if err != nil {
		fmt.Fprintln(stderr, "midstream feedback: not stored:", err)
		return 1
	}
	fmt.Fprintf(stdout, "feedback stored: %s %s/%s %s (%s seq %d)\n", fb.Stream, fb.Analyser, fb.Rule, fb.Label, ack.Stream, ack.Sequence)
	return 0
}

// learnCmd calls one endpoint of the metalearn micro service and prints its JSON answer.
func learnCmd(verb string) func(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) int {
	return func(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) int {
		name := "learn " + verb
		fs := flag.NewFlagSet(name, flag.ContinueOnError)
		fs.SetOutput(stderr)
		url := fs.String("nats-url", defaultNATSURL(), "NATS server [MIDSTREAM_NATS_URL]")
		timeout := fs.Duration("timeout", 5*time.Second, "how long to wait for metalearn")
		reason := fs.String("reason", "", "why (reject)")
		from := fs.Uint64("from", 1, "first audit entry (audit)")
		pos, err := parseInterleaved(fs, args)
		if err != nil {
			return 2
		}
		var body []byte
		bad := func(msg string) int {
			fmt.Fprintf(stderr, "midstream %s: %s\n", name, msg)
			return 2
		}
		switch verb {
		case "status", "proposals":
			if len(pos) != 0 {
				return bad("takes no arguments")
			}
		case "audit":
			if len(pos) != 0 {
				return bad("takes no arguments (use --from)")
			}
			body, _ = json.Marshal(metalearn.AuditRequest{From: *from})
		case "approve", "reject", "rollback":
			what := "ID"
			if verb == "rollback" {
				what = "REV"
			}
			if len(pos) != 1 {
				return bad("needs exactly one " + what)
			}
			n, err := strconv.ParseUint(pos[0], 10, 64)
			if err != nil || n == 0 {
				return bad(fmt.Sprintf("%s %q is not a positive number", what, pos[0]))
			}
			switch verb {
			case "approve":
				body, _ = json.Marshal(metalearn.IDRequest{ID: n})
			case "reject":
				body, _ = json.Marshal(metalearn.IDRequest{ID: n, Reason: *reason})
			default:
				body, _ = json.Marshal(metalearn.RollbackRequest{Revision: n})
			}
		}
		nc, err := nats.Connect(*url, nats.Name("midstream-cli"), nats.Timeout(*timeout))
		if err != nil {
			fmt.Fprintf(stderr, "midstream %s: %v\n", name, err)
			return 1
		}
		defer nc.Close()
		out, err := callMetalearn(ctx, nc, verb, body, *timeout)
		if err != nil {
			fmt.Fprintf(stderr, "midstream %s: %v\n", name, err)
			return 1
		}
		var pretty bytes.Buffer
		if json.Indent(&pretty, out, "", "  ") != nil {
			pretty.Reset()
			pretty.Write(out)
		}
		pretty.WriteByte('\n')
		_, _ = stdout.Write(pretty.Bytes())
		return 0
	}
}

// errNoMetalearn says nothing answered on the endpoint's subject.
var errNoMetalearn = errors.New("no metalearn service answers (is it running? try `nats micro ls`)")

// callMetalearn requests metalearn.<verb> and returns the body, or the service's error with its
// code.
func callMetalearn(ctx context.Context, nc *nats.Conn, verb string, body []byte, timeout time.Duration) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	m, err := nc.RequestWithContext(ctx, metalearn.Name+"."+verb, body)
	if errors.Is(err, nats.ErrNoResponders) {
		return nil, errNoMetalearn
	}
	if err != nil {
		return nil, err
	}
	if code := m.Header.Get(micro.ErrorCodeHeader); code != "" {
		return nil, fmt.Errorf("%s %s", code, strings.TrimSpace(m.Header.Get(micro.ErrorHeader)))
	}
	return m.Data, nil
}
