package ingest

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestConfigValidate(t *testing.T) {
	c := Config{CertDir: "x"}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if c.Addr != ":4433" || c.MaxFrameSize != 1<<20 || c.IdleTimeout == 0 || c.MaxPending != 4096 {
		t.Fatalf("defaults not filled: %+v", c)
	}
	for name, bad := range map[string]Config{
		"no certificate":   {},
		"key without cert": {KeyFile: "k"},
		"frame too large":  {CertDir: "x", MaxFrameSize: 2 << 20},
		"frame too small":  {CertDir: "x", MaxFrameSize: 10},
		"empty token":      {CertDir: "x", Tokens: map[string]string{"": "acme"}},
		"negative":         {CertDir: "x", IdleTimeout: -1},
	} {
		if err := bad.Validate(); !errors.Is(err, ErrConfig) {
			t.Errorf("%s: got %v, want ErrConfig", name, err)
		}
	}
}

func TestParseTokens(t *testing.T) {
	got, err := ParseTokens(strings.NewReader("# comment\n\ntok-a acme\n  tok-b  \n"))
	if err != nil || len(got) != 2 || got["tok-a"] != "acme" || got["tok-b"] != "" {
		t.Fatalf("got %v %v", got, err)
	}
	for _, bad := range []string{"a b c\n", "a\na\n", strings.Repeat("x", 2<<20)} {
		if _, err := ParseTokens(strings.NewReader(bad)); !errors.Is(err, ErrConfig) {
			t.Errorf("%.20q: got %v, want ErrConfig", bad, err)
		}
	}
}

func TestSelfSignedCertReused(t *testing.T) {
	dir := t.TempDir()
	a, err := LoadOrCreateCert(dir, []string{"localhost", "127.0.0.1"})
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(filepath.Join(dir, SelfSignedKey))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file %v %v", fi, err)
	}
	b, err := LoadOrCreateCert(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	if string(a.Certificate[0]) != string(b.Certificate[0]) {
		t.Fatal("stored certificate not reused")
	}
}
