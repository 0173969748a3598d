package frame

import (
	"bufio"
	"errors"
	"io"
)

// Option configures a Reader.
type Option func(*Reader)

// WithMaxSize caps the payload length the Reader accepts. Values above DefaultMaxSize or below
// 1 are ignored: the cap can only be lowered.
func WithMaxSize(n int) Option {
	return func(r *Reader) {
		if n > 0 && n <= DefaultMaxSize {
			r.max = n
		}
	}
}

// WithSkipLimit sets how many payload bytes the Reader is willing to read and drop to step
// over an oversize frame (default 16 × the size cap). A frame declaring more breaks the stream.
func WithSkipLimit(n int) Option { return func(r *Reader) { r.skipLimit = n } }

// Reader reads frames from a byte stream, reusing one payload buffer. It is not safe for
// concurrent use.
type Reader struct {
	br        *bufio.Reader
	buf       []byte
	max       int
	skipLimit int
	err       error // sticky: set once the stream cannot be resynchronized
}

// NewReader returns a Reader on r.
func NewReader(r io.Reader, opts ...Option) *Reader {
	fr := &Reader{br: bufio.NewReaderSize(r, 16<<10), max: DefaultMaxSize}
	for _, o := range opts {
		o(fr)
	}
	if fr.skipLimit == 0 {
		fr.skipLimit = 16 * fr.max
	}
	return fr
}

// MaxSize is the payload cap in force.
func (r *Reader) MaxSize() int { return r.max }

// Next reads the next frame. The payload aliases the Reader's buffer and is valid until the next
// call. At a clean end of input between frames it returns io.EOF; an end inside a frame is
// ErrTruncated. An unknown type byte returns the frame (with its payload consumed) and an error
// matching ErrUnknownType; an oversize frame whose payload could be skipped returns an error
// matching ErrFrameTooLarge with Skipped set. In both cases the next call reads the following
// frame. Any other error is sticky: the byte stream is out of step and every later call fails.
// Errors from the underlying reader are returned as they are.
func (r *Reader) Next() (Frame, error) {
	if r.err != nil {
		return Frame{}, r.err
	}
	b, err := r.br.ReadByte()
	if err != nil {
		return Frame{}, r.fail(err, 0, "")
	}
	t := Type(b)
	n, err := r.readLen(t)
	if err != nil {
		return Frame{}, r.fail(err, t, "length")
	}
	if n > uint64(r.max) {
		de := &DecodeError{Type: t, Size: clampInt(n), Limit: r.max, Err: ErrFrameTooLarge}
		if n > uint64(r.skipLimit) {
			r.err = de
			return Frame{}, de
		}
		if _, err := r.br.Discard(int(n)); err != nil {
			return Frame{}, r.fail(err, t, "payload")
		}
		de.Skipped = true
		return Frame{}, de
	}
	if cap(r.buf) < int(n) {
		r.buf = make([]byte, n, max(int(n), 4<<10))
	}
	p := r.buf[:n]
	if _, err := io.ReadFull(r.br, p); err != nil {
		return Frame{}, r.fail(err, t, "payload")
	}
	if !t.Known() {
		return Frame{Type: t, Payload: p}, &DecodeError{Type: t, Size: int(n), Err: ErrUnknownType, Skipped: true}
	}
	return Frame{Type: t, Payload: p}, nil
}

// readLen reads the uvarint length byte by byte from the buffered reader.
func (r *Reader) readLen(t Type) (uint64, error) {
	var v uint64
	for i, shift := 0, uint(0); ; i, shift = i+1, shift+7 {
		b, err := r.br.ReadByte()
		if err != nil {
			return 0, err
		}
		if i == 9 && b > 1 || i > 9 {
			return 0, malformed(t, "length overflows 64 bits")
		}
		v |= uint64(b&0x7f) << shift
		if b < 0x80 {
			return v, nil
		}
	}
}

// fail turns an end of input inside a frame into ErrTruncated and makes the error sticky.
func (r *Reader) fail(err error, t Type, where string) error {
	var de *DecodeError
	switch {
	case errors.As(err, &de):
	case where == "" && errors.Is(err, io.EOF):
		// A clean end between frames.
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		err = truncated(t, "input ends in the "+where)
	}
	r.err = err
	return err
}

func clampInt(n uint64) int {
	if n > uint64(int(^uint(0)>>1)) {
		return int(^uint(0) >> 1)
	}
	return int(n)
}
