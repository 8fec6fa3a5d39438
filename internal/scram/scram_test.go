package scram

import (
	"crypto/hmac"
	"crypto/pbkdf2"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
)

// client is RFC 5802's client side, written from the RFC to drive the
// server through paths real clients do not take.
type client struct {
	password, nonce, gs2 string
	cb                   []byte
	first, bare          string
}

func newClient(password, gs2 string, cb []byte) *client {
	c := &client{password: password, nonce: "rOprNGfwEbeRWgbNEkqO", gs2: gs2, cb: cb}
	c.bare = "n=,r=" + c.nonce
	c.first = gs2 + c.bare
	return c
}

func (c *client) final(t *testing.T, serverFirst string) string {
	t.Helper()
	var nonce, salt string
	iter := 0
	for _, a := range strings.Split(serverFirst, ",") {
		switch {
		case strings.HasPrefix(a, "r="):
			nonce = a[2:]
		case strings.HasPrefix(a, "s="):
			salt = a[2:]
		case strings.HasPrefix(a, "i="):
			for _, d := range a[2:] {
				iter = iter*10 + int(d-'0')
			}
		}
	}
	s, _ := base64.StdEncoding.DecodeString(salt)
	salted, err := pbkdf2.Key(sha256.New, c.password, s, iter, 32)
	if err != nil {
		t.Fatal(err)
	}
	clientKey := hmacSum(salted, "Client Key")
	stored := sha256.Sum256(clientKey)
	withoutProof := "c=" + base64.StdEncoding.EncodeToString(append([]byte(c.gs2), c.cb...)) + ",r=" + nonce
	sig := hmacSum(stored[:], c.bare+","+serverFirst+","+withoutProof)
	proof := make([]byte, 32)
	for i := range proof {
		proof[i] = clientKey[i] ^ sig[i]
	}
	return withoutProof + ",p=" + base64.StdEncoding.EncodeToString(proof)
}

func exchange(t *testing.T, v *Verifier, tlsCB []byte, mock bool, mech string, c *client) ([]byte, error) {
	t.Helper()
	s := NewServer(v, tlsCB, mock)
	sf, err := s.First(mech, []byte(c.first))
	if err != nil {
		return nil, err
	}
	return s.Final([]byte(c.final(t, string(sf))))
}

func TestVerifierRoundTrip(t *testing.T) {
	text, err := NewVerifier("pencil")
	if err != nil {
		t.Fatal(err)
	}
	v, err := ParseVerifier(text)
	if err != nil || v.String() != text || v.Iterations != 4096 || len(v.Salt) != 16 {
		t.Fatalf("verifier %q: %v %+v", text, err, v)
	}
	if !CheckPassword(text, "pencil") || CheckPassword(text, "Pencil") {
		t.Fatal("CheckPassword")
	}
	for _, bad := range []string{"", "md5abc", "SCRAM-SHA-256$x:y$z:w", "SCRAM-SHA-256$4096:c2FsdA==$YQ==:YQ=="} {
		if IsVerifier(bad) {
			t.Errorf("%q taken for a verifier", bad)
		}
	}
}

func TestExchange(t *testing.T) {
	text, _ := NewVerifier("pencil")
	v, _ := ParseVerifier(text)
	cb := []byte("certificate hash")

	// Plain SCRAM-SHA-256, right password: the server signature proves
	// the server knows the verifier.
	out, err := exchange(t, v, nil, false, Mechanism, newClient("pencil", "n,,", nil))
	if err != nil || !strings.HasPrefix(string(out), "v=") {
		t.Fatalf("right password: %q %v", out, err)
	}
	if _, err := exchange(t, v, nil, false, Mechanism, newClient("wrong", "n,,", nil)); !errors.Is(err, ErrAuthFailed) {
		t.Fatalf("wrong password: %v", err)
	}
	// The mock exchange fails even with the right proof.
	if _, err := exchange(t, v, nil, true, Mechanism, newClient("pencil", "n,,", nil)); !errors.Is(err, ErrAuthFailed) {
		t.Fatalf("mock: %v", err)
	}
	// -PLUS with the right binding data.
	if _, err := exchange(t, v, cb, false, MechanismPlus, newClient("pencil", "p=tls-server-end-point,,", cb)); err != nil {
		t.Fatalf("PLUS: %v", err)
	}
	var pe *ErrProtocol
	for name, tc := range map[string]struct {
		cb   []byte
		mech string
		c    *client
	}{
		"binding data of another certificate": {cb, MechanismPlus, newClient("pencil", "p=tls-server-end-point,,", []byte("other"))},
		"downgrade: y flag over TLS":          {cb, Mechanism, newClient("pencil", "y,,", nil)},
		"PLUS without TLS":                    {nil, MechanismPlus, newClient("pencil", "p=tls-server-end-point,,", nil)},
		"PLUS without binding":                {cb, MechanismPlus, newClient("pencil", "n,,", nil)},
		"binding without PLUS":                {cb, Mechanism, newClient("pencil", "p=tls-server-end-point,,", cb)},
		"unknown binding type":                {cb, MechanismPlus, newClient("pencil", "p=tls-unique,,", cb)},
		"authzid":                             {nil, Mechanism, newClient("pencil", "n,a=admin,", nil)},
		"unknown mechanism":                   {nil, "SCRAM-SHA-1", newClient("pencil", "n,,", nil)},
	} {
		if _, err := exchange(t, v, tc.cb, false, tc.mech, tc.c); !errors.As(err, &pe) {
			t.Errorf("%s: want a protocol error, got %v", name, err)
		}
	}
	// A replayed final message with another nonce is refused.
	s := NewServer(v, nil, false)
	c := newClient("pencil", "n,,", nil)
	sf, _ := s.First(Mechanism, []byte(c.first))
	final := strings.Replace(c.final(t, string(sf)), ",r="+c.nonce, ",r="+c.nonce+"x", 1)
	if _, err := s.Final([]byte(final)); !errors.As(err, &pe) {
		t.Errorf("wrong nonce: %v", err)
	}
	_ = hmac.Equal
}

// TestRFC7677Vector checks the maths against the example exchange of
// RFC 7677 section 3.
func TestRFC7677Vector(t *testing.T) {
	salt, _ := base64.StdEncoding.DecodeString("W22ZaJ0SNY7soEsUEjb6gQ==")
	v, err := derive("pencil", salt, 4096)
	if err != nil {
		t.Fatal(err)
	}
	nonce := "rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0"
	s := &Server{v: v, mechanism: Mechanism, gs2Header: "n,,", clientFirstBare: "n=user,r=rOprNGfwEbeRWgbNEkqO",
		serverFirst: "r=" + nonce + ",s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096", nonce: nonce}
	out, err := s.Final([]byte("c=biws,r=" + nonce + ",p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="))
	if err != nil || string(out) != "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=" {
		t.Fatalf("RFC 7677 exchange: %q %v", out, err)
	}
}
