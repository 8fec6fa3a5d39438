package scram

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"hash"
	"strings"
)

// Mechanism names, as AuthenticationSASL lists them.
const (
	Mechanism     = "SCRAM-SHA-256"
	MechanismPlus = "SCRAM-SHA-256-PLUS"
)

// ErrAuthFailed is a proof that does not match (wrong password, mock
// verifier).
var ErrAuthFailed = errors.New("scram: authentication failed")

// ErrProtocol wraps malformed SCRAM messages.
type ErrProtocol struct{ Msg string }

func (e *ErrProtocol) Error() string { return "malformed SCRAM message: " + e.Msg }

func protoErr(msg string) error { return &ErrProtocol{Msg: msg} }

// Server runs one exchange: First with the client-first-message, then Final
// with the client-final-message.
type Server struct {
	v *Verifier
	// cbData is the tls-server-end-point hash of the server certificate
	// (nil without TLS: only SCRAM-SHA-256 is offered then).
	cbData []byte
	// mock: the verifier is a mock; Final always fails.
	mock bool

	mechanism       string
	gs2Header       string
	clientFirstBare string
	serverFirst     string
	nonce           string
}

// NewServer starts an exchange against v. cbData is the channel binding
// data when the connection is TLS (see EndPointHash), else nil. mock
// makes the exchange fail at the end whatever the client proves.
func NewServer(v *Verifier, cbData []byte, mock bool) *Server {
	return &Server{v: v, cbData: cbData, mock: mock}
}

// Mechanisms lists what to offer: with channel binding data, the PLUS
// variant first, as PostgreSQL does.
func Mechanisms(tls bool) []string {
	if tls {
		return []string{MechanismPlus, Mechanism}
	}
	return []string{Mechanism}
}

// First takes the mechanism the client chose and its client-first-message
// and returns the server-first-message.
func (s *Server) First(mechanism string, clientFirst []byte) ([]byte, error) {
	switch mechanism {
	case Mechanism:
	case MechanismPlus:
		if s.cbData == nil {
			return nil, protoErr("client selected SCRAM-SHA-256-PLUS, but the connection is not TLS")
		}
	default:
		return nil, protoErr("client selected an invalid SASL authentication mechanism")
	}
	s.mechanism = mechanism
	msg := string(clientFirst)
	// gs2-header: cbind-flag "," [authzid] ","
	flag, rest, ok := strings.Cut(msg, ",")
	if !ok {
		return nil, protoErr("missing gs2 header")
	}
	switch {
	case flag == "n":
		if mechanism == MechanismPlus {
			return nil, protoErr("client selected SCRAM-SHA-256-PLUS without channel binding")
		}
	case flag == "y":
		// The client supports channel binding but thinks the server
		// does not: with TLS on, it was offered, so this is a downgrade.
		if s.cbData != nil {
			return nil, protoErr("SCRAM channel binding negotiation error: client supports SCRAM-SHA-256-PLUS but it was not used")
		}
	case strings.HasPrefix(flag, "p="):
		if mechanism != MechanismPlus {
			return nil, protoErr("channel binding requested, but client selected a mechanism without channel binding")
		}
		if flag[2:] != "tls-server-end-point" {
			return nil, protoErr("unsupported SCRAM channel-binding type \"" + flag[2:] + "\"")
		}
	default:
		return nil, protoErr("unexpected channel-binding flag")
	}
	authzid, bare, ok := strings.Cut(rest, ",")
	if !ok {
		return nil, protoErr("missing client-first-message-bare")
	}
	if authzid != "" {
		return nil, protoErr("client uses authorization identity, but it is not supported")
	}
	s.gs2Header = flag + "," + authzid + ","
	s.clientFirstBare = bare
	attrs := strings.Split(bare, ",")
	if len(attrs) < 2 || strings.HasPrefix(attrs[0], "m=") {
		return nil, protoErr("client requires an unsupported SCRAM extension")
	}
	// The user name (n=) is ignored, as in PostgreSQL: the startup
	// packet's user is the one authenticated.
	if !strings.HasPrefix(attrs[0], "n=") || !strings.HasPrefix(attrs[1], "r=") || len(attrs[1]) <= 2 {
		return nil, protoErr("expected attributes n= and r=")
	}
	clientNonce := attrs[1][2:]
	var rnd [18]byte
	if _, err := rand.Read(rnd[:]); err != nil {
		return nil, err
	}
	s.nonce = clientNonce + base64.StdEncoding.EncodeToString(rnd[:])
	s.serverFirst = "r=" + s.nonce + ",s=" + base64.StdEncoding.EncodeToString(s.v.Salt) + ",i=" + itoa(s.v.Iterations)
	return []byte(s.serverFirst), nil
}

// Final checks the client-final-message and returns the
// server-final-message. A wrong proof returns ErrAuthFailed.
func (s *Server) Final(clientFinal []byte) ([]byte, error) {
	msg := string(clientFinal)
	i := strings.LastIndex(msg, ",p=")
	if i < 0 {
		return nil, protoErr("missing proof")
	}
	withoutProof, proofText := msg[:i], msg[i+3:]
	attrs := strings.Split(withoutProof, ",")
	if len(attrs) < 2 || !strings.HasPrefix(attrs[0], "c=") || !strings.HasPrefix(attrs[1], "r=") {
		return nil, protoErr("expected attributes c= and r=")
	}
	cb, err := base64.StdEncoding.DecodeString(attrs[0][2:])
	if err != nil {
		return nil, protoErr("malformed channel binding")
	}
	want := []byte(s.gs2Header)
	if s.mechanism == MechanismPlus {
		want = append(want, s.cbData...)
	}
	if !hmac.Equal(cb, want) {
		return nil, protoErr("SCRAM channel binding check failed")
	}
	if attrs[1][2:] != s.nonce {
		return nil, protoErr("nonce does not match")
	}
	proof, err := base64.StdEncoding.DecodeString(proofText)
	if err != nil || len(proof) != sha256.Size {
		return nil, protoErr("malformed proof")
	}
	authMessage := s.clientFirstBare + "," + s.serverFirst + "," + withoutProof
	clientSig := hmacSum(s.v.StoredKey, authMessage)
	clientKey := make([]byte, sha256.Size)
	for k := range clientKey {
		clientKey[k] = proof[k] ^ clientSig[k]
	}
	got := sha256.Sum256(clientKey)
	if s.mock || !hmac.Equal(got[:], s.v.StoredKey) {
		return nil, ErrAuthFailed
	}
	return []byte("v=" + base64.StdEncoding.EncodeToString(hmacSum(s.v.ServerKey, authMessage))), nil
}

// EndPointHash is the tls-server-end-point channel binding data of cert
// (RFC 5929 section 4.1): its hash with the certificate's signature hash,
// SHA-256 in place of MD5 and SHA-1.
func EndPointHash(cert *x509.Certificate) []byte {
	var h hash.Hash
	switch cert.SignatureAlgorithm {
	case x509.SHA384WithRSA, x509.ECDSAWithSHA384, x509.SHA384WithRSAPSS:
		h = sha512.New384()
	case x509.SHA512WithRSA, x509.ECDSAWithSHA512, x509.SHA512WithRSAPSS:
		h = sha512.New()
	default:
		h = sha256.New()
	}
	h.Write(cert.Raw)
	return h.Sum(nil)
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b [20]byte
	i := len(b)
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	return string(b[i:])
}
