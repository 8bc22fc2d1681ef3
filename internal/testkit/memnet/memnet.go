// Package memnet serves HTTP in memory, so that tests can run a client and
// its server inside one testing/synctest bubble: the real timers, retries and
// deadlines then run on the bubble's fake clock. A socket would leave the
// bubble (I/O on it is not durably blocking, so fake time would stall or
// jump); net.Pipe connections are channels, which stay inside.
package memnet

import (
	"context"
	"net"
	"net/http"
	"os"
	"sync"
	"syscall"
	"testing"
)

// addr is the listener's address: a loopback one, as the tests' servers use.
var addr = &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 80}

// Listener is a net.Listener whose connections are made by its Dial.
type Listener struct {
	conns chan net.Conn
	done  chan struct{}
	once  sync.Once
}

// NewListener returns a listener that accepts what Dial connects.
func NewListener() *Listener {
	return &Listener{conns: make(chan net.Conn), done: make(chan struct{})}
}

// Accept implements net.Listener. It fails with net.ErrClosed once Close is
// called.
func (l *Listener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

// Close implements net.Listener: Accept and Dial fail from now on.
func (l *Listener) Close() error {
	l.once.Do(func() { close(l.done) })
	return nil
}

// Addr implements net.Listener.
func (l *Listener) Addr() net.Addr { return addr }

// Dial connects to the listener, whatever address it is given. Once the
// listener is closed it fails as a real dial to a closed port does:
// "dial tcp 127.0.0.1:80: connect: connection refused".
func (l *Listener) Dial(ctx context.Context, _, _ string) (net.Conn, error) {
	client, server := net.Pipe()
	select {
	case l.conns <- server:
		return client, nil
	case <-l.done:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	_ = client.Close()
	_ = server.Close()
	return nil, &net.OpError{Op: "dial", Net: "tcp", Addr: addr, Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}
}

// Serve serves h in memory until the test ends, and returns a transport that
// sends every request to it, whatever its URL says. Call it inside the
// bubble; the test's cleanup waits for the handlers still running (on the
// bubble's clock), then closes every connection, so the bubble's goroutines
// end.
func Serve(t testing.TB, h http.Handler) *http.Transport {
	t.Helper()
	l := NewListener()
	srv := &http.Server{Handler: h} //nolint:gosec // in memory: no slow clients to guard against
	go func() { _ = srv.Serve(l) }()
	tr := Transport(l)
	t.Cleanup(func() {
		_ = srv.Shutdown(context.Background())
		tr.CloseIdleConnections()
	})
	return tr
}

// Refused returns a transport whose every dial is refused, as to a closed
// port.
func Refused() *http.Transport {
	l := NewListener()
	_ = l.Close()
	return Transport(l)
}

// Transport returns an HTTP/1.1 transport that dials l.
func Transport(l *Listener) *http.Transport {
	return &http.Transport{DialContext: l.Dial, ForceAttemptHTTP2: false}
}
