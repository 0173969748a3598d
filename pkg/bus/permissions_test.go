package bus_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/midstream/midstream/pkg/bus"
	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/nats-io/nkeys"
)

const permParts = 2

// permEnv is an embedded server with one password user per role.
type permEnv struct {
	url   string
	admin jetstream.JetStream
}

func startPermEnv(t *testing.T) *permEnv {
	t.Helper()
	var users []bus.User
	for _, r := range bus.Roles() {
		users = append(users, bus.User{Role: r, Password: "pw-" + r})
	}
	configure, err := bus.ConfigureUsers(users, permParts)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	e, err := bus.StartEmbedded(ctx, bus.EmbeddedConfig{StoreDir: t.TempDir(), Port: -1, Configure: configure})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.Shutdown)
	env := &permEnv{url: e.ClientURL()}
	c := env.connect(t, bus.RoleAdmin)
	env.admin = c.js
	if err := bus.Provision(ctx, c.js, bus.Topology{Partitions: permParts, Storage: jetstream.MemoryStorage}); err != nil {
		t.Fatalf("admin provisions: %v", err)
	}
	kv, err := c.js.KeyValue(ctx, bus.BucketConfig)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"verifier.threshold", "compare.threshold", "attractor.threshold", "scheduler.rate"} {
		if _, err := kv.PutString(ctx, k, "1"); err != nil {
			t.Fatal(err)
		}
	}
	return env
}

// permConn is one role's connection with its asynchronous errors collected.
type permConn struct {
	nc   *nats.Conn
	js   jetstream.JetStream
	mu   sync.Mutex
	errs []string
}

func (env *permEnv) connect(t *testing.T, role string) *permConn {
	t.Helper()
	c := &permConn{}
	nc, err := nats.Connect(env.url, nats.UserInfo(role, "pw-"+role),
		nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) {
			c.mu.Lock()
			c.errs = append(c.errs, err.Error())
			c.mu.Unlock()
		}))
	if err != nil {
		t.Fatalf("%s connects: %v", role, err)
	}
	t.Cleanup(nc.Close)
	c.nc = nc
	if c.js, err = jetstream.New(nc); err != nil {
		t.Fatal(err)
	}
	return c
}

// refused waits until the server has reported a permissions violation naming subject.
func (c *permConn) refused(t *testing.T, subject string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		if err := c.nc.FlushTimeout(time.Second); err != nil {
			t.Fatalf("flush: %v", err)
		}
		c.mu.Lock()
		found := slices.ContainsFunc(c.errs, func(e string) bool {
			return strings.Contains(strings.ToLower(e), "permissions violation") && strings.Contains(e, `"`+subject+`"`)
		})
		seen := slices.Clone(c.errs)
		c.mu.Unlock()
		if found {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("no permissions violation for %q; errors seen: %q", subject, seen)
		}
	}
}

// refusedPublish publishes to subject and expects a violation.
func (c *permConn) refusedPublish(t *testing.T, subject string) {
	t.Helper()
	if err := c.nc.Publish(subject, []byte("x")); err != nil {
		t.Fatal(err)
	}
	c.refused(t, subject)
}

// refusedAPI runs a JetStream API call that must fail and be reported as a violation on subject.
// A refused request gets no reply, so the call ends at its (short) deadline.
func (c *permConn) refusedAPI(t *testing.T, subject string, call func(context.Context) error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 250*time.Millisecond)
	defer cancel()
	if err := call(ctx); err == nil {
		t.Fatalf("call on %s succeeded", subject)
	}
	c.refused(t, subject)
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestPermissionsAnalysers(t *testing.T) {
	env := startPermEnv(t)
	for _, name := range []string{bus.RoleVerifier, bus.RoleCompare, bus.RoleAttractor} {
		t.Run(name, func(t *testing.T) {
			ctx := ctxT(t)
			c := env.connect(t, name)
			other := bus.RoleVerifier
			if name == other {
				other = bus.RoleCompare
			}

			// Allowed: its own WORK consumers, pulled in the priority group, acked.
			// WORK keeps the items released for the other analysers too: wait for this one's.
			got := make(chan string, 16)
			cctx, stop := context.WithCancel(ctx)
			done := make(chan error, 1)
			go func() {
				done <- bus.Consume(cctx, c.js, bus.ConsumeConfig{Service: name, Stream: bus.StreamWork, Partitions: permParts},
					func(_ context.Context, _ int, m jetstream.Msg) error {
						select {
						case got <- m.Subject():
						default:
						}
						return nil
					})
			}()
			if _, err := env.admin.Publish(ctx, "ms.work.1.s-"+name, []byte("chunk")); err != nil {
				t.Fatal(err)
			}
			for delivered := false; !delivered; {
				select {
				case s := <-got:
					delivered = s == "ms.work.1.s-"+name
				case err := <-done:
					t.Fatalf("consume ended: %v", err)
				case <-ctx.Done():
					t.Fatal("no work delivered to its own consumer")
				}
			}
			stop()
			if err := <-done; err != nil {
				t.Fatal(err)
			}
			// Allowed: its verdicts, actions, dead letters.
			for _, s := range []string{"ms.verdict." + name + ".s1", "ms.action.s1", "ms.dlq." + name} {
				if _, err := c.js.Publish(ctx, s, []byte("{}")); err != nil {
					t.Fatalf("publish %s: %v", s, err)
				}
			}
			// Allowed: read and watch its own config keys.
			kv, err := c.js.KeyValue(ctx, bus.BucketConfig)
			if err != nil {
				t.Fatal(err)
			}
			if e, err := kv.Get(ctx, name+".threshold"); err != nil || string(e.Value()) != "1" {
				t.Fatalf("get own key: %v", err)
			}
			w, err := kv.Watch(ctx, name+".>")
			if err != nil {
				t.Fatalf("watch own keys: %v", err)
			}
			select {
			case e := <-w.Updates():
				if e == nil || e.Key() != name+".threshold" {
					t.Fatalf("watch delivered %v", e)
				}
			case <-ctx.Done():
				t.Fatal("watch delivered nothing")
			}
			_ = w.Stop()

			// Refused.
			c.refusedPublish(t, "ms.in.x")
			c.refusedPublish(t, "ms.verdict."+other+".x")
			c.refusedPublish(t, "ms.work.0.x")
			occ, err := bus.ConsumeConfig{Service: other, Stream: bus.StreamWork, Partitions: permParts}.ConsumerConfig(0)
			if err != nil {
				t.Fatal(err)
			}
			c.refusedAPI(t, "$JS.API.CONSUMER.INFO.WORK."+occ.Durable, func(ctx context.Context) error {
				_, err := c.js.Consumer(ctx, bus.StreamWork, occ.Durable)
				return err
			})
			next := "$JS.API.CONSUMER.MSG.NEXT.WORK." + occ.Durable
			if err := c.nc.PublishRequest(next, c.nc.NewRespInbox(), []byte(`{"batch":1}`)); err != nil {
				t.Fatal(err)
			}
			c.refused(t, next)
			c.refusedAPI(t, "$KV.ms_config."+name+".threshold", func(ctx context.Context) error {
				_, err := kv.PutString(ctx, name+".threshold", "0")
				return err
			})
			c.refusedAPI(t, "$JS.API.DIRECT.GET.KV_ms_config.$KV.ms_config."+other+".threshold", func(ctx context.Context) error {
				_, err := kv.Get(ctx, other+".threshold")
				return err
			})
			c.refusedAPI(t, "$JS.API.STREAM.DELETE.WORK", func(ctx context.Context) error {
				return c.js.DeleteStream(ctx, bus.StreamWork)
			})
		})
	}
}

func TestPermissionsIngest(t *testing.T) {
	env := startPermEnv(t)
	ctx := ctxT(t)
	c := env.connect(t, bus.RoleIngest)
	actions, err := c.nc.SubscribeSync("ms.action.*")
	if err != nil {
		t.Fatal(err)
	}
	if err := c.nc.Flush(); err != nil {
		t.Fatal(err)
	}
	if _, err := c.js.Publish(ctx, "ms.in.s1", []byte("chunk")); err != nil {
		t.Fatalf("publish chunk: %v", err)
	}
	if _, err := env.admin.Publish(ctx, "ms.action.s1", []byte("{}")); err != nil {
		t.Fatal(err)
	}
	if _, err := actions.NextMsg(5 * time.Second); err != nil {
		t.Fatalf("action not received: %v", err)
	}
	c.refusedPublish(t, "ms.work.0.s1")
	c.refusedPublish(t, "ms.verdict.verifier.s1")
	if _, err := c.nc.SubscribeSync("ms.chunk.>"); err != nil {
		t.Fatal(err)
	}
	c.refused(t, "ms.chunk.>")
	c.refusedAPI(t, "$JS.API.STREAM.DELETE.CHUNKS", func(ctx context.Context) error {
		return c.js.DeleteStream(ctx, bus.StreamChunks)
	})
}

func TestPermissionsScheduler(t *testing.T) {
	env := startPermEnv(t)
	ctx := ctxT(t)
	c := env.connect(t, bus.RoleScheduler)
	cc, err := bus.ConsumeConfig{Service: bus.RoleScheduler, Stream: bus.StreamChunks, Partitions: permParts}.ConsumerConfig(1)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.js.CreateOrUpdateConsumer(ctx, bus.StreamChunks, cc); err != nil {
		t.Fatalf("own consumer: %v", err)
	}
	if _, err := c.js.Publish(ctx, "ms.work.1.s1", []byte("chunk")); err != nil {
		t.Fatalf("release work: %v", err)
	}
	// A micro endpoint answers the admin's request through allow_responses.
	if _, err := c.nc.Subscribe("scheduler.stats", func(m *nats.Msg) { _ = m.Respond([]byte("ok")) }); err != nil {
		t.Fatal(err)
	}
	if err := c.nc.Flush(); err != nil {
		t.Fatal(err)
	}
	admin := env.connect(t, bus.RoleAdmin)
	if r, err := admin.nc.Request("scheduler.stats", nil, 5*time.Second); err != nil || string(r.Data) != "ok" {
		t.Fatalf("micro request: %v", err)
	}
	kv, err := c.js.KeyValue(ctx, bus.BucketConfig)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := kv.PutString(ctx, "scheduler.rate", "2"); err != nil {
		t.Fatalf("own key: %v", err)
	}
	c.refusedAPI(t, "$KV.ms_config.verifier.threshold", func(ctx context.Context) error {
		_, err := kv.PutString(ctx, "verifier.threshold", "0")
		return err
	})
	c.refusedPublish(t, "ms.verdict.verifier.s1")
	c.refusedPublish(t, "ms.in.s1")
	c.refusedAPI(t, "$JS.API.CONSUMER.INFO.WORK.verifier-p0", func(ctx context.Context) error {
		_, err := c.js.Consumer(ctx, bus.StreamWork, "verifier-p0")
		return err
	})
	c.refusedAPI(t, "$JS.API.STREAM.DELETE.CHUNKS", func(ctx context.Context) error {
		return c.js.DeleteStream(ctx, bus.StreamChunks)
	})
}

func TestPermissionsMetalearn(t *testing.T) {
	env := startPermEnv(t)
	ctx := ctxT(t)
	c := env.connect(t, bus.RoleMetalearn)
	if _, err := c.js.CreateOrUpdateConsumer(ctx, bus.StreamFeedback, jetstream.ConsumerConfig{
		Durable: "metalearn-feedback", FilterSubject: "ms.feedback.*", AckPolicy: jetstream.AckExplicitPolicy,
	}); err != nil {
		t.Fatalf("own consumer: %v", err)
	}
	kv, err := c.js.KeyValue(ctx, bus.BucketConfig)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := kv.PutString(ctx, "verifier.threshold", "0.5"); err != nil {
		t.Fatalf("tune an analyser: %v", err)
	}
	if _, err := c.js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{Bucket: bus.BucketAudit, Storage: jetstream.MemoryStorage}); err != nil {
		t.Fatalf("audit bucket: %v", err)
	}
	c.refusedPublish(t, "ms.in.s1")
	c.refusedPublish(t, "ms.verdict.verifier.s1")
	c.refusedAPI(t, "$JS.API.STREAM.DELETE.CHUNKS", func(ctx context.Context) error {
		return c.js.DeleteStream(ctx, bus.StreamChunks)
	})
	c.refusedAPI(t, "$JS.API.STREAM.CREATE.OTHER", func(ctx context.Context) error {
		_, err := c.js.CreateStream(ctx, jetstream.StreamConfig{Name: "OTHER", Subjects: []string{"other"}})
		return err
	})
}

func TestPermissionsErrors(t *testing.T) {
	if _, err := bus.Permissions("nobody", 0); !errors.Is(err, bus.ErrUnknownRole) {
		t.Fatalf("unknown role: %v", err)
	}
	if _, err := bus.Permissions(bus.RoleIngest, 2000); err == nil {
		t.Fatal("2000 partitions accepted")
	}
	for _, name := range []string{"", "a.b", "ms>", bus.RoleIngest} {
		if _, err := bus.AnalyserPermissions(name, 0); !errors.Is(err, bus.ErrBadUser) {
			t.Fatalf("analyser %q: %v", name, err)
		}
	}
	for _, u := range []bus.User{
		{Role: bus.RoleIngest},
		{Role: bus.RoleIngest, Password: "p", NKey: "UABC"},
		{Role: bus.RoleIngest, NKey: "not-a-key"},
	} {
		if _, err := bus.UsersConfig([]bus.User{u}, 0); !errors.Is(err, bus.ErrBadUser) {
			t.Fatalf("%+v: %v", u, err)
		}
	}
	if _, err := bus.ConfigureUsers([]bus.User{{Role: bus.RoleIngest, Password: "a"}, {Role: bus.RoleIngest, Password: "b"}}, 0); !errors.Is(err, bus.ErrBadUser) {
		t.Fatalf("duplicate user: %v", err)
	}
}

// TestUsersConfigParses checks that nats-server reads the generated block back into the same
// permissions, for password and nkey users.
func TestUsersConfigParses(t *testing.T) {
	kp, err := nkeys.CreateUser()
	if err != nil {
		t.Fatal(err)
	}
	pub, err := kp.PublicKey()
	if err != nil {
		t.Fatal(err)
	}
	var users []bus.User
	for _, r := range bus.Roles() {
		users = append(users, bus.User{Role: r, Password: `$2a$11$h"ash\` + r})
	}
	users = append(users, bus.User{Role: "toxicity", NKey: pub})
	conf, err := bus.UsersConfig(users, 4)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "users.conf")
	if err := os.WriteFile(path, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	opts, err := server.ProcessConfigFile(path)
	if err != nil {
		t.Fatalf("nats-server rejects the config: %v\n%s", err, conf)
	}
	if len(opts.Users) != len(bus.Roles()) || len(opts.Nkeys) != 1 {
		t.Fatalf("%d users, %d nkeys", len(opts.Users), len(opts.Nkeys))
	}
	check := func(who string, got, want *server.Permissions) {
		t.Helper()
		if !slices.Equal(got.Publish.Allow, want.Publish.Allow) || !slices.Equal(got.Subscribe.Allow, want.Subscribe.Allow) {
			t.Fatalf("%s: parsed permissions differ:\npub %q\nwant %q\nsub %q\nwant %q", who, got.Publish.Allow, want.Publish.Allow, got.Subscribe.Allow, want.Subscribe.Allow)
		}
		if (got.Response == nil) != (want.Response == nil) || got.Response != nil && *got.Response != *want.Response {
			t.Fatalf("%s: responses %+v, want %+v", who, got.Response, want.Response)
		}
	}
	for _, u := range opts.Users {
		if u.Password != `$2a$11$h"ash\`+u.Username {
			t.Fatalf("%s: password %q", u.Username, u.Password)
		}
		want, _ := bus.Permissions(u.Username, 4)
		check(u.Username, u.Permissions, want)
	}
	want, _ := bus.AnalyserPermissions("toxicity", 4)
	check("toxicity", opts.Nkeys[0].Permissions, want)
}
