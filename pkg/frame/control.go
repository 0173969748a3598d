package frame

import (
	"encoding/binary"
	"slices"
	"strconv"
)

// Auth is the AUTH frame a client sends first on its control stream.
type Auth struct {
	Token  string // bearer token; empty when the server runs without authentication
	Client string // a name for logs, e.g. "gateway-eu-1"
}

// AppendAuth appends an AUTH frame: token and client name, each a uvarint length and bytes.
func AppendAuth(dst []byte, a Auth) []byte {
	dst = appendHeader(dst, TypeAuth, stringLen(a.Token)+stringLen(a.Client))
	dst = appendString(dst, a.Token)
	return appendString(dst, a.Client)
}

// ParseAuth reads an AUTH payload.
func ParseAuth(p []byte) (Auth, error) {
	var a Auth
	var err error
	if a.Token, p, err = readString(TypeAuth, "token", p); err != nil {
		return Auth{}, err
	}
	if a.Client, p, err = readString(TypeAuth, "client", p); err != nil {
		return Auth{}, err
	}
	if len(p) != 0 {
		return Auth{}, malformed(TypeAuth, "trailing bytes")
	}
	return a, nil
}

// AppendText appends a frame of type t whose payload is one string (AUTH_OK: the tenant;
// AUTH_FAIL: the reason).
func AppendText(dst []byte, t Type, s string) []byte {
	dst = appendHeader(dst, t, stringLen(s))
	return appendString(dst, s)
}

// ParseText reads a one-string payload (AUTH_OK, AUTH_FAIL).
func ParseText(t Type, p []byte) (string, error) {
	s, rest, err := readString(t, "text", p)
	if err != nil {
		return "", err
	}
	if len(rest) != 0 {
		return "", malformed(t, "trailing bytes")
	}
	return s, nil
}

// AppendHeaders appends a HEADERS frame: a uvarint count, then for each entry the key and the
// value as strings. Keys are written in sorted order so the encoding is deterministic.
func AppendHeaders(dst []byte, h map[string]string) []byte {
	n := uvarintLen(uint64(len(h)))
	var stack [8]string
	keys := stack[:0]
	for k, v := range h {
		keys = append(keys, k)
		n += stringLen(k) + stringLen(v)
	}
	slices.Sort(keys)
	dst = appendHeader(dst, TypeHeaders, n)
	dst = binary.AppendUvarint(dst, uint64(len(h)))
	for _, k := range keys {
		dst = appendString(dst, k)
		dst = appendString(dst, h[k])
	}
	return dst
}

// ParseHeaders reads a HEADERS payload into dst (which it does not clear). A key repeated in
// one frame keeps its last value.
func ParseHeaders(dst map[string]string, p []byte) error {
	n, k := binary.Uvarint(p)
	if k <= 0 {
		return badVarint(TypeHeaders, k, "count")
	}
	if n > MaxHeaders {
		return malformed(TypeHeaders, strconv.FormatUint(n, 10)+" entries, limit "+strconv.Itoa(MaxHeaders))
	}
	p = p[k:]
	for i := uint64(0); i < n; i++ {
		var key, val string
		var err error
		if key, p, err = readString(TypeHeaders, "key", p); err != nil {
			return err
		}
		if key == "" {
			return malformed(TypeHeaders, "empty key")
		}
		if val, p, err = readString(TypeHeaders, "value", p); err != nil {
			return err
		}
		dst[key] = val
	}
	if len(p) != 0 {
		return malformed(TypeHeaders, "trailing bytes")
	}
	return nil
}
