package pgwire

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"io"
	"strings"

	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/featurehouse/featurehouse/sql/pgerror"
)

// Startup packet codes (PostgreSQL's pqcomm.h).
const (
	codeCancelRequest = 80877102
	codeSSLRequest    = 80877103
	codeGSSENCRequest = 80877104

	// maxStartupPacket is PostgreSQL's MAX_STARTUP_PACKET_LENGTH.
	maxStartupPacket = 10000
	// maxNegotiations bounds SSLRequest/GSSENCRequest rounds before the
	// StartupMessage (PostgreSQL allows one of each).
	maxNegotiations = 2
)

// startupPacket reads one length-prefixed startup-phase packet and returns
// its code and the bytes after the code.
func readStartupPacket(r *bufio.Reader) (uint32, []byte, error) {
	var hdr [4]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return 0, nil, err
	}
	n := int(int32(binary.BigEndian.Uint32(hdr[:])))
	if n < 8 || n > maxStartupPacket {
		return 0, nil, fatal(errProtocol("invalid length of startup packet"))
	}
	body := make([]byte, n-4)
	if _, err := io.ReadFull(r, body); err != nil {
		return 0, nil, err
	}
	return binary.BigEndian.Uint32(body), body[4:], nil
}

// handshake runs the startup phase up to the first ReadyForQuery. It
// returns false when the connection must be closed (cancel request, refused
// or failed startup).
func (c *conn) handshake(ctx context.Context) bool {
	for round := 0; ; round++ {
		code, body, err := readStartupPacket(c.br)
		if err != nil {
			if pe, ok := pgerror.As(err); ok {
				c.sendError(pe)
			}
			return false
		}
		switch code {
		case codeCancelRequest:
			c.srv.handleCancel(body)
			return false
		case codeSSLRequest, codeGSSENCRequest:
			if round >= maxNegotiations {
				c.sendError(fatal(errProtocol("too many encryption requests")))
				return false
			}
			if c.tlsState != nil {
				c.sendError(fatal(errProtocol("encryption request on an encrypted connection")))
				return false
			}
			if !c.startTLS(code == codeSSLRequest) {
				return false
			}
			continue
		}
		return c.startup(ctx, code, body)
	}
}

// startup handles a StartupMessage.
func (c *conn) startup(ctx context.Context, version uint32, body []byte) bool {
	major, minor := version>>16, version&0xffff
	if major != 3 {
		c.sendError(fatal(pgerror.New(pgerror.FeatureNotSupported,
			"unsupported frontend protocol %d.%d: server supports 3.0 to 3.0", major, minor)))
		return false
	}
	params, unrecognized, perr := parseStartupParams(body)
	if perr != nil {
		c.sendError(perr)
		return false
	}
	// Newer minor versions and protocol extensions (_pq_.*) are answered with
	// what this server speaks; the client then continues with 3.0.
	if minor > 0 || len(unrecognized) > 0 {
		c.w.send(&pgproto3.NegotiateProtocolVersion{NewestMinorProtocol: 0, UnrecognizedOptions: unrecognized})
	}

	user := params["user"]
	if user == "" {
		c.sendError(fatal(pgerror.New(pgerror.InvalidAuthorizationSpec, "no PostgreSQL user name specified in startup packet")))
		return false
	}
	db := params["database"]
	if db == "" {
		db = user
	}
	if enc, ok := params["client_encoding"]; ok && !isUTF8Name(enc) {
		c.sendError(fatal(pgerror.New(pgerror.InvalidParameterValue,
			"invalid value for parameter \"client_encoding\": \"%s\"", enc).
			WithDetail("featurehouse only supports the UTF8 client encoding.")))
		return false
	}

	if max := c.srv.cfg.Auth.MaxConnections; max > 0 {
		if c.srv.clients.Add(1) > int64(max) {
			c.srv.clients.Add(-1)
			c.sendError(fatal(pgerror.New(pgerror.TooManyConnections, "sorry, too many clients already")))
			return false
		}
		c.counted = true
	}
	if !c.authenticate(ctx, user, db) {
		return false
	}

	sess, err := c.srv.cfg.Backend.NewSession(ctx, StartupInfo{
		User:       user,
		Database:   db,
		Params:     params,
		RemoteAddr: c.nc.RemoteAddr(),
		ProcessID:  c.pid,
		Notify:     c.notify,
		TLS:        c.tlsState != nil,
	})
	if err != nil {
		c.sendError(fatal(pgerror.Wrap(err)))
		return false
	}
	if sess == nil {
		c.sendError(fatal(pgerror.New(pgerror.InternalError, "backend returned no session")))
		return false
	}
	c.sess = sess

	c.w.send(&pgproto3.AuthenticationOk{})
	c.sendStartupParameters(user, params)
	c.w.send(&pgproto3.BackendKeyData{ProcessID: c.pid, SecretKey: c.secret})
	c.sendReady()
	return c.w.flush() == nil
}

// parseStartupParams decodes the name/value pairs of a StartupMessage and
// collects the protocol options (_pq_.*) this server does not know.
func parseStartupParams(b []byte) (map[string]string, []string, *pgerror.Error) {
	params := make(map[string]string)
	var unrecognized []string
	for {
		if len(b) == 0 {
			return nil, nil, fatal(errProtocol("invalid startup packet layout: expected terminator as last byte"))
		}
		if b[0] == 0 {
			if len(b) != 1 {
				return nil, nil, fatal(errProtocol("invalid startup packet layout: expected terminator as last byte"))
			}
			return params, unrecognized, nil
		}
		k := bytes.IndexByte(b, 0)
		if k < 0 {
			return nil, nil, fatal(errProtocol("invalid startup packet layout: expected terminator as last byte"))
		}
		name := string(b[:k])
		b = b[k+1:]
		v := bytes.IndexByte(b, 0)
		if v < 0 {
			return nil, nil, fatal(errProtocol("invalid startup packet layout: expected terminator as last byte"))
		}
		value := string(b[:v])
		b = b[v+1:]
		if strings.HasPrefix(name, "_pq_.") {
			unrecognized = append(unrecognized, name)
			continue
		}
		params[name] = value
	}
}

// isUTF8Name accepts the spellings of UTF8 PostgreSQL accepts, and
// SQL_ASCII, which libpq sends for client_encoding=auto under the C locale
// and which PostgreSQL passes through unconverted.
func isUTF8Name(enc string) bool {
	switch strings.ToUpper(strings.ReplaceAll(strings.ReplaceAll(enc, "-", ""), "_", "")) {
	case "UTF8", "UNICODE", "SQLASCII":
		return true
	}
	return false
}

// sendStartupParameters sends the session's reportable parameters, filling
// in the ones PostgreSQL 15 always reports that the session left out, since
// drivers depend on them (server_version, standard_conforming_strings...).
func (c *conn) sendStartupParameters(user string, params map[string]string) {
	sent := make(map[string]bool)
	for _, kv := range c.sess.ParameterStatus() {
		sent[kv[0]] = true
		c.w.send(&pgproto3.ParameterStatus{Name: kv[0], Value: kv[1]})
	}
	defaults := [][2]string{
		{"application_name", params["application_name"]},
		{"client_encoding", "UTF8"},
		{"DateStyle", "ISO, MDY"},
		{"default_transaction_read_only", "off"},
		{"in_hot_standby", "off"},
		{"integer_datetimes", "on"},
		{"IntervalStyle", "postgres"},
		{"is_superuser", "off"},
		{"server_encoding", "UTF8"},
		{"server_version", c.srv.cfg.ServerVersion},
		{"session_authorization", user},
		{"standard_conforming_strings", "on"},
		{"TimeZone", c.defaultTimeZone()},
	}
	for _, kv := range defaults {
		if !sent[kv[0]] {
			c.w.send(&pgproto3.ParameterStatus{Name: kv[0], Value: kv[1]})
		}
	}
}

func (c *conn) defaultTimeZone() string {
	if loc := c.sess.Options().Location; loc != nil {
		return loc.String()
	}
	return "UTC"
}

// sendParameterChanges reports parameters the last statement changed.
func (c *conn) sendParameterChanges() {
	for _, kv := range c.sess.ParameterStatus() {
		c.w.send(&pgproto3.ParameterStatus{Name: kv[0], Value: kv[1]})
	}
}

func (c *conn) sendReady() {
	c.w.send(&pgproto3.ReadyForQuery{TxStatus: c.sess.TxStatus()})
}
