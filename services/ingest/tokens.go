package ingest

import (
	"bufio"
	"fmt"
	"io"
	"strings"
)

// maxTokensFile bounds the tokens file so a wrong path (a log, a disk image) fails clearly.
const maxTokensFile = 1 << 20

// ParseTokens reads a tokens file: one token per line, optionally followed by whitespace and
// the tenant it belongs to; blank lines and lines starting with # are skipped.
//
//	# token                           tenant
//	3f9c1e0b7d2a4c58a1e6b0d9f27c4e11  acme
//	a07d6b2e9c1f4e3b8d5a2c7e0f9b1d44
func ParseTokens(r io.Reader) (map[string]string, error) {
	tokens := map[string]string{}
	sc := bufio.NewScanner(io.LimitReader(r, maxTokensFile+1))
	n, line := 0, 0
	for sc.Scan() {
		line++
		n += len(sc.Bytes()) + 1
		if n > maxTokensFile {
			return nil, &configError{fmt.Sprintf("tokens file larger than %d bytes", maxTokensFile)}
		}
		f := strings.Fields(sc.Text())
		if len(f) == 0 || strings.HasPrefix(f[0], "#") {
			continue
		}
		if len(f) > 2 {
			return nil, &configError{fmt.Sprintf("tokens file line %d: want \"token [tenant]\", got %d fields", line, len(f))}
		}
		tenant := ""
		if len(f) == 2 {
			tenant = f[1]
		}
		if _, dup := tokens[f[0]]; dup {
			return nil, &configError{fmt.Sprintf("tokens file line %d: token repeated", line)}
		}
		tokens[f[0]] = tenant
	}
	if err := sc.Err(); err != nil {
		return nil, &configError{"tokens file: " + err.Error()}
	}
	return tokens, nil
}
