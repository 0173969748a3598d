package bus

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
)

// ConnConfig says how a service reaches NATS.
type ConnConfig struct {
	// URLs are the servers to try, e.g. nats://nats-0:4222 (a comma-separated string is split).
	URLs []string
	// Name identifies the connection in server monitoring (service name and replica).
	Name string
	// CredsFile is a NATS credentials file (JWT + nkey seed); empty means none.
	CredsFile string
	// NKeyFile is an nkey seed file, an alternative to CredsFile.
	NKeyFile string
	// User and Password authenticate with a user/password pair.
	User, Password string
	// TLS enables TLS to the servers (CA, client certificate) when non-nil.
	TLS *tls.Config
	// ConnectTimeout bounds the initial connection; default 10s.
	ConnectTimeout time.Duration
}

// Connect dials NATS and keeps the connection alive: it reconnects forever (a service without
// its bus is useless, and a NATS cluster rolling its nodes must not kill it), logging every
// disconnect, reconnect and asynchronous error. The initial connection is retried until ctx ends.
func Connect(ctx context.Context, cfg ConnConfig, log *slog.Logger) (*nats.Conn, error) {
	if log == nil {
		log = slog.Default()
	}
	var urls []string
	for _, u := range cfg.URLs {
		for _, p := range strings.Split(u, ",") {
			if p = strings.TrimSpace(p); p != "" {
				urls = append(urls, p)
			}
		}
	}
	if len(urls) == 0 {
		return nil, errors.New("bus: no NATS URL configured")
	}
	timeout := cfg.ConnectTimeout
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	opts := []nats.Option{
		nats.Name(cfg.Name),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(250 * time.Millisecond),
		nats.ReconnectJitter(100*time.Millisecond, time.Second),
		nats.RetryOnFailedConnect(false),
		nats.Timeout(timeout),
		// Publishes made while reconnecting are buffered up to this size rather than failing.
		nats.ReconnectBufSize(64 << 20),
		nats.DisconnectErrHandler(func(nc *nats.Conn, err error) {
			if err == nil || nc.IsClosed() {
				return // a deliberate close, not an outage
			}
			log.Warn("nats disconnected", "name", cfg.Name, "err", err)
		}),
		nats.ReconnectHandler(func(nc *nats.Conn) {
			log.Info("nats reconnected", "name", cfg.Name, "url", nc.ConnectedUrlRedacted())
		}),
		nats.ClosedHandler(func(nc *nats.Conn) {
			log.Debug("nats connection closed", "name", cfg.Name)
		}),
		nats.ErrorHandler(func(nc *nats.Conn, sub *nats.Subscription, err error) {
			subj := ""
			if sub != nil {
				subj = sub.Subject
			}
			log.Error("nats async error", "name", cfg.Name, "subject", subj, "err", err)
		}),
	}
	if cfg.CredsFile != "" {
		opts = append(opts, nats.UserCredentials(cfg.CredsFile))
	}
	if cfg.NKeyFile != "" {
		o, err := nats.NkeyOptionFromSeed(cfg.NKeyFile)
		if err != nil {
			return nil, fmt.Errorf("bus: nkey seed %s: %w", cfg.NKeyFile, err)
		}
		opts = append(opts, o)
	}
	if cfg.User != "" {
		opts = append(opts, nats.UserInfo(cfg.User, cfg.Password))
	}
	if cfg.TLS != nil {
		opts = append(opts, nats.Secure(cfg.TLS))
	}
	url := strings.Join(urls, ",")
	backoff := 100 * time.Millisecond
	for {
		nc, err := nats.Connect(url, opts...)
		if err == nil {
			return nc, nil
		}
		// Authorization failures do not heal by retrying: report them at once.
		if errors.Is(err, nats.ErrAuthorization) || errors.Is(err, nats.ErrAuthExpired) || errors.Is(err, nats.ErrAuthRevoked) {
			return nil, fmt.Errorf("bus: connect %s: %w", redact(urls), err)
		}
		log.Warn("nats connect failed, retrying", "urls", redact(urls), "err", err, "in", backoff)
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("bus: connect %s: %w (last error: %w)", redact(urls), ctx.Err(), err)
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, 5*time.Second)
	}
}

// redact drops user info from URLs before they reach a log.
func redact(urls []string) string {
	out := make([]string, len(urls))
	for i, u := range urls {
		if at := strings.LastIndex(u, "@"); at >= 0 {
			if s := strings.Index(u, "://"); s >= 0 && s < at {
				u = u[:s+3] + "[redacted]" + u[at:]
			}
		}
		out[i] = u
	}
	return strings.Join(out, ",")
}
