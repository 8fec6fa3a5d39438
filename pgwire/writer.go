package pgwire

import (
	"fmt"
	"net"
	"sync"

	"github.com/jackc/pgx/v5/pgproto3"
)

const (
	// flushThreshold: buffered output is written once it reaches this size,
	// so a large result streams instead of accumulating.
	flushThreshold = 64 << 10
	// keepBufferCap: after a flush, a buffer grown beyond this (one huge
	// row) is dropped rather than kept for the connection's lifetime.
	keepBufferCap = 1 << 20
)

// writer buffers backend messages for one connection. The message loop
// writes through it, and so may Notify from a statement's goroutine, hence
// the mutex (held only while encoding or writing, never across a callback).
type writer struct {
	mu  sync.Mutex
	nc  net.Conn
	buf []byte
	err error // first write error; the connection is then dead
	// onError runs once, on the first write error (cancels the statement).
	onError func()
	// rowsOpen: the message loop is encoding DataRows into its own batch
	// (beginRows..endRows). Messages sent meanwhile (notices) stay queued
	// until the next batch is written, after the batch's rows, so a notice
	// the message loop itself sends while reading rows (e.g. from
	// RowResult.Next) keeps its place after the rows before it.
	rowsOpen bool
	// preRows: w.buf[:preRows] goes before the next batch of rows, the
	// rest (queued while the batch was encoded) after it.
	preRows int
	spare   []byte
}

func newWriter(nc net.Conn, onError func()) *writer {
	return &writer{nc: nc, buf: make([]byte, 0, flushThreshold+4096), onError: onError}
}

// send queues one message, writing the buffer out when it is full.
func (w *writer) send(m pgproto3.BackendMessage) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.err != nil {
		return
	}
	b, err := m.Encode(w.buf)
	if err != nil {
		w.failLocked(fmt.Errorf("pgwire: encoding %T: %w", m, err))
		return
	}
	w.buf = b
	if len(w.buf) >= flushThreshold {
		w.flushLocked()
	}
}

// sendRaw queues bytes that already form complete messages.
func (w *writer) sendRaw(p []byte) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.err != nil {
		return
	}
	w.buf = append(w.buf, p...)
	if len(w.buf) >= flushThreshold {
		w.flushLocked()
	}
}

// flush writes everything queued (while rows are open: at the next batch).
func (w *writer) flush() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.rowsOpen {
		return w.err
	}
	return w.flushLocked()
}

// beginRows starts a run of writeRows calls: the caller encodes DataRows
// into its own buffer without the lock and hands them over a batch at a
// time. Whatever is queued now goes before the rows.
func (w *writer) beginRows() {
	w.mu.Lock()
	w.rowsOpen = true
	w.preRows = len(w.buf)
	w.mu.Unlock()
}

// writeRows hands over a batch of complete DataRow messages. They are
// queued after what was queued before the batch began and before notices
// queued while it was encoded. With last, the run of rows ends.
func (w *writer) writeRows(rows []byte, last bool) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if last {
		w.rowsOpen = false
	}
	if w.err != nil {
		return w.err
	}
	if len(w.buf) > w.preRows {
		w.spare = append(w.spare[:0], w.buf[w.preRows:]...)
		w.buf = append(append(w.buf[:w.preRows], rows...), w.spare...)
	} else {
		w.buf = append(w.buf, rows...)
	}
	w.preRows = len(w.buf)
	if len(w.buf) >= flushThreshold {
		w.flushLocked()
	}
	return w.err
}

func (w *writer) flushLocked() error {
	if w.err != nil {
		return w.err
	}
	if len(w.buf) == 0 {
		return nil
	}
	_, err := w.nc.Write(w.buf)
	if cap(w.buf) > keepBufferCap {
		w.buf = make([]byte, 0, flushThreshold+4096)
	} else {
		w.buf = w.buf[:0]
	}
	w.preRows = 0
	if err != nil {
		w.failLocked(fmt.Errorf("pgwire: write to client: %w", err))
	}
	return w.err
}

func (w *writer) failLocked(err error) {
	if w.err != nil {
		return
	}
	w.err = err
	w.buf = w.buf[:0]
	w.preRows = 0
	if w.onError != nil {
		// onError only cancels a context; it never calls back into w.
		w.onError()
	}
}

// failed reports the write error that killed the connection, if any.
func (w *writer) failed() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.err
}

// setConn sends everything after this through nc (the TLS connection once
// SSLRequest was accepted).
func (w *writer) setConn(nc net.Conn) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.nc = nc
}
