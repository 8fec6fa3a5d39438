package pgwire

import (
	"encoding/binary"
	"io"
	"log/slog"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgproto3"
)

var (
	fuzzOnce sync.Once
	fuzzSrv  *Server
	fuzzLogs = &logRecorder{}
)

func encodeAll(msgs ...pgproto3.FrontendMessage) []byte {
	var b []byte
	for _, m := range msgs {
		b, _ = m.Encode(b)
	}
	return b
}

// FuzzMessageLoop feeds random bytes to a connection after a valid startup:
// the server must neither panic nor hang, whatever arrives.
func FuzzMessageLoop(f *testing.F) {
	f.Add(encodeAll(&pgproto3.Query{String: "SELECT 3"}, &pgproto3.Terminate{}))
	f.Add(encodeAll(&pgproto3.Query{String: "SELECT 1; ERROR 22012; SELECT 2"}, &pgproto3.Query{String: "SYNTAX"}))
	f.Add(encodeAll(&pgproto3.Parse{Name: "s", Query: "ECHO 2", ParameterOIDs: []uint32{20}},
		&pgproto3.Bind{PreparedStatement: "s", ParameterFormatCodes: []int16{1, 0},
			Parameters: [][]byte{binary.BigEndian.AppendUint64(nil, 7), []byte("x")}, ResultFormatCodes: []int16{1}},
		&pgproto3.Describe{ObjectType: 'P'}, &pgproto3.Execute{MaxRows: 1}, &pgproto3.Execute{}, &pgproto3.Sync{}))
	f.Add(encodeAll(&pgproto3.Parse{Query: "SELECT 5"}, &pgproto3.Bind{DestinationPortal: "p"},
		&pgproto3.Execute{Portal: "p", MaxRows: 2}, &pgproto3.Close{ObjectType: 'S'},
		&pgproto3.Execute{Portal: "p", MaxRows: 2}, &pgproto3.Close{ObjectType: 'P', Name: "p"}, &pgproto3.Sync{}))
	f.Add(encodeAll(&pgproto3.Query{String: "COPYIN"}, &pgproto3.CopyData{Data: []byte("1\ta\n")},
		&pgproto3.CopyDone{}, &pgproto3.Query{String: "COPYIN"}, &pgproto3.CopyFail{Message: "no"},
		&pgproto3.Query{String: "COPYOUT 2"}))
	f.Add(encodeAll(&pgproto3.Parse{Query: "COPYIN BINARY"}, &pgproto3.Bind{}, &pgproto3.Execute{}, &pgproto3.Sync{},
		&pgproto3.CopyData{Data: []byte("x")}, &pgproto3.Flush{}, &pgproto3.CopyDone{}, &pgproto3.Sync{}))
	f.Add(encodeAll(&pgproto3.Query{String: "BEGIN"}, &pgproto3.Query{String: "SET a b"}, &pgproto3.Query{String: "NOTICE"},
		&pgproto3.Query{String: "SLEEP"}, &pgproto3.Query{String: "RECORD"}, &pgproto3.Query{String: "COMMIT"}))
	f.Add([]byte{'Q', 0, 0, 0, 2})
	f.Add([]byte{'B', 0, 0, 0, 5, 'x', 'S', 0, 0, 0, 4})
	f.Add([]byte{'Q', 0, 0, 0, 8, 0xff, 0xfe, 'a', 0})

	f.Fuzz(func(t *testing.T, data []byte) {
		fuzzOnce.Do(func() {
			b := newFakeBackend()
			b.fuzzMode = true
			var err error
			fuzzSrv, err = NewServer(Config{Backend: b, Logger: slog.New(fuzzLogs), MaxMessageSize: 1 << 16})
			if err != nil {
				panic(err)
			}
		})
		client, server := net.Pipe()
		done := make(chan struct{})
		go func() {
			defer close(done)
			fuzzSrv.serveConn(server)
		}()
		go io.Copy(io.Discard, client)

		wrote := make(chan struct{})
		go func() {
			defer close(wrote)
			startup := encodeAll(&pgproto3.StartupMessage{ProtocolVersion: pgproto3.ProtocolVersion30,
				Parameters: map[string]string{"user": "fuzz", "database": "db"}})
			if _, err := client.Write(startup); err != nil {
				return
			}
			client.Write(data)
		}()
		select {
		case <-wrote:
		case <-time.After(2 * time.Second):
		}
		client.Close()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Fatalf("connection still running 10s after the client left")
		}
		if p := fuzzLogs.panics(); len(p) > 0 {
			t.Fatalf("panic while serving %q: %v", data, p)
		}
	})
}
