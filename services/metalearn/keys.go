package metalearn

import (
	"fmt"
	"strings"
)

// Key mapping between the learner and ms_config.
//
// Analysers read ms_config keys "<analyser>.<name>". A learner key "<analyser>/<name>" with
// exactly one slash, an analyser token of [a-z0-9_-] other than "meta" and "metalearn", and a
// name of [A-Za-z0-9_.=-] maps to the KV key "<analyser>.<name>" (learner "verifier/pii_threshold"
// ↔ KV "verifier.pii_threshold"). Every other learner key (the meta-policy's "meta/<key>/gain",
// the mined patterns "patterns/<tenant>/<model>/<hash>") is learning state no analyser reads; it
// maps to "metalearn.<escaped key>", where bytes other than [A-Za-z0-9_/-] are written "=XX"
// (hex), so tenant and model names with dots, colons or spaces stay valid, distinct KV keys.
// The mapping is injective and KVToLearner inverts it.

// KVPrefix is the ms_config prefix of metalearn's own keys.
const KVPrefix = "metalearn."

// LearnerToKV returns the ms_config key of a learner key.
func LearnerToKV(lk string) (string, error) {
	if lk == "" {
		return "", fmt.Errorf("%w: empty learner key", ErrKey)
	}
	if a, name, ok := strings.Cut(lk, "/"); ok && isAnalyser(a) && isName(name) {
		return a + "." + name, nil
	}
	var b strings.Builder
	b.Grow(len(KVPrefix) + len(lk))
	b.WriteString(KVPrefix)
	for i := 0; i < len(lk); i++ {
		c := lk[i]
		if isPlain(c) || c == '/' {
			b.WriteByte(c)
			continue
		}
		fmt.Fprintf(&b, "=%02X", c)
	}
	return b.String(), nil
}

// KVToLearner returns the learner key of an ms_config key produced by LearnerToKV.
func KVToLearner(kv string) (string, error) {
	if rest, ok := strings.CutPrefix(kv, KVPrefix); ok {
		var b strings.Builder
		for i := 0; i < len(rest); i++ {
			c := rest[i]
			switch {
			case c == '=':
				if i+2 >= len(rest) {
					return "", fmt.Errorf("%w: truncated escape in %q", ErrKey, kv)
				}
				var x byte
				if _, err := fmt.Sscanf(rest[i+1:i+3], "%02X", &x); err != nil || !isUpperHex(rest[i+1]) || !isUpperHex(rest[i+2]) {
					return "", fmt.Errorf("%w: bad escape in %q", ErrKey, kv)
				}
				if isPlain(x) || x == '/' {
					return "", fmt.Errorf("%w: needless escape in %q", ErrKey, kv)
				}
				b.WriteByte(x)
				i += 2
			case isPlain(c) || c == '/':
				b.WriteByte(c)
			default:
				return "", fmt.Errorf("%w: byte %q in %q", ErrKey, c, kv)
			}
		}
		lk := b.String()
		if lk == "" {
			return "", fmt.Errorf("%w: empty key after prefix", ErrKey)
		}
		if a, name, ok := strings.Cut(lk, "/"); ok && isAnalyser(a) && isName(name) {
			return "", fmt.Errorf("%w: %q is an analyser key written under %s", ErrKey, kv, KVPrefix)
		}
		return lk, nil
	}
	a, name, ok := strings.Cut(kv, ".")
	if !ok || !isAnalyser(a) || !isName(name) {
		return "", fmt.Errorf("%w: %q is not <analyser>.<name>", ErrKey, kv)
	}
	return a + "/" + name, nil
}

func isAnalyser(a string) bool {
	if a == "" || len(a) > 64 || a == "meta" || a == "metalearn" {
		return false
	}
	for i := 0; i < len(a); i++ {
		c := a[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

func isName(n string) bool {
	if n == "" || len(n) > 128 || n[0] == '.' || n[len(n)-1] == '.' || strings.Contains(n, "..") {
		return false
	}
	for i := 0; i < len(n); i++ {
		if c := n[i]; !isPlain(c) && c != '.' && c != '=' {
			return false
		}
	}
	return true
}

func isPlain(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-'
}

func isUpperHex(c byte) bool { return c >= '0' && c <= '9' || c >= 'A' && c <= 'F' }
