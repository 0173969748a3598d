package bench

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"io"
	"math/big"
	"sync"
	"testing"
	"time"

	"github.com/quic-go/quic-go"
)

// selfSigned returns a TLS certificate for 127.0.0.1 valid for an hour.
func selfSigned(b *testing.B) tls.Certificate {
	b.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		b.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "bench"},
		NotBefore: time.Now().Add(-time.Minute), NotAfter: time.Now().Add(time.Hour), DNSNames: []string{"localhost"}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		b.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// BenchmarkQUICThroughput measures raw quic-go throughput on loopback, with no midstream code
// on the path: one connection, `streams` concurrent unidirectional streams each writing
// 64 KiB buffers that the server reads and discards. This is the transport's ceiling for
// ingest (the Rust midstream's quic-multistream target is > 1 GB/s). MB/s is reported by the
// testing package from SetBytes.
func BenchmarkQUICThroughput(b *testing.B) {
	for _, streams := range []int{1, 4} {
		b.Run(fmt.Sprintf("streams=%d", streams), func(b *testing.B) { benchQUICRaw(b, streams) })
	}
}

func benchQUICRaw(b *testing.B, streams int) {
	const bufSize = 64 << 10
	cert := selfSigned(b)
	qconf := &quic.Config{MaxStreamReceiveWindow: 16 << 20, MaxConnectionReceiveWindow: 64 << 20, MaxIncomingUniStreams: 100}
	ln, err := quic.ListenAddr("127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{cert}, NextProtos: []string{"bench"}}, qconf)
	if err != nil {
		b.Fatal(err)
	}
	defer func() { _ = ln.Close() }()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var received sync.WaitGroup
	go func() {
		conn, err := ln.Accept(ctx)
		if err != nil {
			return
		}
		for {
			s, err := conn.AcceptUniStream(ctx)
			if err != nil {
				return
			}
			go func() {
				defer received.Done()
				buf := make([]byte, bufSize)
				for {
					if _, err := s.Read(buf[:cap(buf)]); err != nil {
						if !errors.Is(err, io.EOF) {
							b.Error(err)
						}
						return
					}
				}
			}()
		}
	}()
	conn, err := quic.DialAddr(ctx, ln.Addr().String(), &tls.Config{InsecureSkipVerify: true, NextProtos: []string{"bench"}}, qconf)
	if err != nil {
		b.Fatal(err)
	}
	defer func() { _ = conn.CloseWithError(0, "done") }()
	payload := make([]byte, bufSize)
	b.SetBytes(bufSize)
	b.ReportAllocs()
	b.ResetTimer()
	var wg sync.WaitGroup
	received.Add(streams)
	for w := range streams {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, err := conn.OpenUniStreamSync(ctx)
			if err != nil {
				b.Error(err)
				return
			}
			for i := w; i < b.N; i += streams {
				if _, err := s.Write(payload); err != nil {
					b.Error(err)
					return
				}
			}
			_ = s.Close()
		}()
	}
	wg.Wait()
	received.Wait() // every byte read by the server
	b.StopTimer()
}
