package pgwire

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/featurehouse/featurehouse/internal/scram"
	"github.com/featurehouse/featurehouse/sql/pgerror"
)

// AuthConfig is client authentication, TLS and connection limits.
type AuthConfig struct {
	// Rules decide how each connection authenticates (hba.go); nil trusts
	// every connection.
	Rules []HBARule
	// Verifier returns the SCRAM-SHA-256 verifier of a role; ok is false
	// when the role does not exist or has no password (the exchange then
	// runs against a mock verifier and fails, telling the client nothing).
	Verifier func(ctx context.Context, user string) (verifier string, ok bool)
	// TLS, when set, answers SSLRequest with 'S' and runs TLS.
	TLS *tls.Config
	// MaxConnections refuses clients beyond it with 53300 (0: no limit).
	MaxConnections int
	// Timeout is the time a client has to finish the startup and
	// authentication (authentication_timeout). Default 60s.
	Timeout time.Duration
	// FailThreshold failed logins in a row for one role from one address
	// make each further failure wait FailDelay before it is answered
	// (doubling up to 8 times FailDelay) until a success or
	// FailWindow without failures. Zero FailDelay: no slowing.
	FailThreshold int
	FailDelay     time.Duration
	FailWindow    time.Duration
}

func (a *AuthConfig) check() error {
	if a.Timeout <= 0 {
		a.Timeout = DefaultAuthTimeout
	}
	if a.FailWindow <= 0 {
		a.FailWindow = 10 * time.Minute
	}
	if a.MaxConnections < 0 || a.FailThreshold < 0 || a.FailDelay < 0 {
		return errors.New("pgwire: negative authentication limits")
	}
	for _, r := range a.Rules {
		if (r.Method == MethodSCRAM || r.Method == MethodPassword) && a.Verifier == nil {
			return fmt.Errorf("pgwire: rule on line %d asks for passwords, but no Verifier is configured", r.Line)
		}
	}
	return nil
}

// startTLS answers an SSLRequest (ssl) or a GSSENCRequest (never
// accepted).
func (c *conn) startTLS(ssl bool) bool {
	cfg := c.srv.cfg.Auth.TLS
	answer := byte('N')
	if ssl && cfg != nil {
		answer = 'S'
	}
	// 'N' tells the client to go on in plaintext, or give up if it
	// requires encryption.
	if _, err := c.nc.Write([]byte{answer}); err != nil {
		return false
	}
	// A client must wait for the answer before sending more; bytes
	// already buffered were sent before it (CVE-2021-23222).
	if c.br.Buffered() > 0 {
		c.sendError(fatal(errProtocol("received unencrypted data after SSL request")))
		return false
	}
	if answer == 'N' {
		return true
	}
	tc := tls.Server(c.nc, cfg)
	if err := tc.HandshakeContext(c.ctx); err != nil {
		c.log.Debug("pgwire: TLS handshake failed", "remote", c.nc.RemoteAddr(), "err", err)
		return false
	}
	st := tc.ConnectionState()
	c.tlsState = &st
	c.br.Reset(tc)
	c.w.setConn(tc)
	return true
}

// encryption is how PostgreSQL's messages describe the connection.
func (c *conn) encryption() string {
	if c.tlsState != nil {
		return "SSL encryption"
	}
	return "no encryption"
}

func (c *conn) remoteIP() net.IP {
	if a, ok := c.nc.RemoteAddr().(*net.TCPAddr); ok {
		return a.IP
	}
	return nil
}

func (c *conn) remoteHost() string {
	if ip := c.remoteIP(); ip != nil {
		return ip.String()
	}
	return c.nc.RemoteAddr().String()
}

// authenticate applies the first matching rule. It returns false once it
// has sent the FATAL error (or the client went away).
func (c *conn) authenticate(ctx context.Context, user, db string) bool {
	a := &c.srv.cfg.Auth
	if a.Rules == nil {
		return true
	}
	var rule *HBARule
	for i := range a.Rules {
		if a.Rules[i].matches(c.tlsState != nil, db, user, c.remoteIP()) {
			rule = &a.Rules[i]
			break
		}
	}
	if rule == nil {
		c.sendError(fatal(pgerror.New(pgerror.InvalidAuthorizationSpec,
			`no pg_hba.conf entry for host "%s", user "%s", database "%s", %s`, c.remoteHost(), user, db, c.encryption())))
		return false
	}
	switch rule.Method {
	case MethodTrust:
		return true
	case MethodReject:
		c.sendError(fatal(pgerror.New(pgerror.InvalidAuthorizationSpec,
			`pg_hba.conf rejects connection for host "%s", user "%s", database "%s", %s`, c.remoteHost(), user, db, c.encryption())))
		return false
	case MethodPassword:
		if c.tlsState == nil {
			c.sendError(fatal(pgerror.New(pgerror.InvalidAuthorizationSpec,
				`password authentication in clear text refused for host "%s", user "%s": the connection is not encrypted`, c.remoteHost(), user).
				WithHint("Connect with TLS (sslmode=require), or use scram-sha-256 in the rules file.")))
			return false
		}
		return c.finishAuth(ctx, user, c.passwordAuth(ctx, user))
	default:
		return c.finishAuth(ctx, user, c.scramAuth(ctx, user))
	}
}

// authResult is the outcome of an exchange: ok, a failed password, or a
// broken exchange (already answered, or the client left).
type authResult int

const (
	authOK authResult = iota
	authFailed
	authAborted
)

func (c *conn) finishAuth(ctx context.Context, user string, r authResult) bool {
	key := user + "\x00" + c.remoteHost()
	switch r {
	case authOK:
		c.srv.failures.reset(key)
		return true
	case authFailed:
		c.log.Info("pgwire: password authentication failed", "user", user, "remote", c.remoteHost(), "pid", c.pid)
		if d := c.srv.failures.fail(key, &c.srv.cfg.Auth); d > 0 {
			c.log.Warn("pgwire: repeated failed logins; delaying the answer", "user", user, "remote", c.remoteHost(), "delay", d)
			select {
			case <-time.After(d):
			case <-ctx.Done():
				return false
			}
		}
		c.sendError(fatal(pgerror.New(pgerror.InvalidPassword, `password authentication failed for user "%s"`, user)))
	}
	return false
}

// readPasswordMessage reads the client's next 'p' message.
func (c *conn) readPasswordMessage(what string) ([]byte, bool) {
	if err := c.w.flush(); err != nil {
		return nil, false
	}
	m, err := c.readFrame()
	if err != nil {
		// The client went away: psql does so to prompt for a password.
		return nil, false
	}
	if m.err != nil {
		c.sendError(m.err)
		return nil, false
	}
	if m.typ != 'p' {
		c.sendError(fatal(errProtocol("expected %s response, got message type %d", what, m.typ)))
		return nil, false
	}
	return m.body, true
}

func (c *conn) passwordAuth(ctx context.Context, user string) authResult {
	c.w.send(&pgproto3.AuthenticationCleartextPassword{})
	body, ok := c.readPasswordMessage("password")
	if !ok {
		return authAborted
	}
	var pm pgproto3.PasswordMessage
	if err := pm.Decode(body); err != nil {
		c.sendError(fatal(errProtocol("invalid password packet")))
		return authAborted
	}
	if verifier, ok := c.srv.cfg.Auth.Verifier(ctx, user); ok && scram.CheckPassword(verifier, pm.Password) {
		return authOK
	}
	return authFailed
}

func (c *conn) scramAuth(ctx context.Context, user string) authResult {
	var cbData []byte
	if c.tlsState != nil && c.srv.tlsCert != nil {
		cbData = scram.EndPointHash(c.srv.tlsCert)
	}
	text, ok := c.srv.cfg.Auth.Verifier(ctx, user)
	var v *scram.Verifier
	if ok {
		var err error
		if v, err = scram.ParseVerifier(text); err != nil {
			ok = false
		}
	}
	if !ok {
		v = scram.MockVerifier(c.srv.mockSecret[:], user)
	}
	srv := scram.NewServer(v, cbData, !ok)

	c.w.send(&pgproto3.AuthenticationSASL{AuthMechanisms: scram.Mechanisms(cbData != nil)})
	body, okMsg := c.readPasswordMessage("SASL")
	if !okMsg {
		return authAborted
	}
	var first pgproto3.SASLInitialResponse
	if err := first.Decode(body); err != nil {
		c.sendError(fatal(errProtocol("malformed SASL initial response")))
		return authAborted
	}
	serverFirst, err := srv.First(first.AuthMechanism, first.Data)
	if err != nil {
		c.sendError(fatal(errProtocol("%s", err.Error())))
		return authAborted
	}
	c.w.send(&pgproto3.AuthenticationSASLContinue{Data: serverFirst})
	body, okMsg = c.readPasswordMessage("SASL")
	if !okMsg {
		return authAborted
	}
	var final pgproto3.SASLResponse
	if err := final.Decode(body); err != nil {
		c.sendError(fatal(errProtocol("malformed SASL response")))
		return authAborted
	}
	serverFinal, err := srv.Final(final.Data)
	if errors.Is(err, scram.ErrAuthFailed) {
		return authFailed
	}
	if err != nil {
		c.sendError(fatal(errProtocol("%s", err.Error())))
		return authAborted
	}
	c.w.send(&pgproto3.AuthenticationSASLFinal{Data: serverFinal})
	return authOK
}

// failureLog counts failed logins per role and address.
type failureLog struct {
	mu sync.Mutex
	m  map[string]*failure
}

type failure struct {
	n    int
	last time.Time
}

// fail records a failure and returns how long to wait before answering.
func (f *failureLog) fail(key string, a *AuthConfig) time.Duration {
	f.mu.Lock()
	defer f.mu.Unlock()
	now := time.Now()
	// Forget old entries now and then so the map cannot grow without end.
	if len(f.m) > 10000 {
		for k, e := range f.m {
			if now.Sub(e.last) > a.FailWindow {
				delete(f.m, k)
			}
		}
	}
	e := f.m[key]
	if e == nil || now.Sub(e.last) > a.FailWindow {
		e = &failure{}
		f.m[key] = e
	}
	e.n++
	e.last = now
	if a.FailDelay <= 0 || e.n <= a.FailThreshold {
		return 0
	}
	d := a.FailDelay
	for i := a.FailThreshold + 1; i < e.n && d < 8*a.FailDelay; i++ {
		d *= 2
	}
	return min(d, 8*a.FailDelay)
}

func (f *failureLog) reset(key string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.m, key)
}
