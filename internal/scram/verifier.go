package scram

import (
	"crypto/hmac"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
)

// Iterations is PostgreSQL's default scram_iterations.
const Iterations = 4096

const saltLen = 16

// Verifier is a parsed password verifier.
type Verifier struct {
	Iterations int
	Salt       []byte
	StoredKey  []byte
	ServerKey  []byte
}

// String is PostgreSQL's text form of the verifier (pg_authid.rolpassword).
func (v *Verifier) String() string {
	b64 := base64.StdEncoding.EncodeToString
	return fmt.Sprintf("SCRAM-SHA-256$%d:%s$%s:%s", v.Iterations, b64(v.Salt), b64(v.StoredKey), b64(v.ServerKey))
}

// NewVerifier derives a verifier for password with a fresh random salt.
func NewVerifier(password string) (string, error) {
	salt := make([]byte, saltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("scram: salt: %w", err)
	}
	v, err := derive(password, salt, Iterations)
	if err != nil {
		return "", err
	}
	return v.String(), nil
}

func derive(password string, salt []byte, iter int) (*Verifier, error) {
	salted, err := pbkdf2.Key(sha256.New, password, salt, iter, sha256.Size)
	if err != nil {
		return nil, fmt.Errorf("scram: pbkdf2: %w", err)
	}
	clientKey := hmacSum(salted, "Client Key")
	stored := sha256.Sum256(clientKey)
	return &Verifier{Iterations: iter, Salt: salt, StoredKey: stored[:], ServerKey: hmacSum(salted, "Server Key")}, nil
}

func hmacSum(key []byte, msg string) []byte {
	h := hmac.New(sha256.New, key)
	h.Write([]byte(msg))
	return h.Sum(nil)
}

// IsVerifier reports whether s is already a SCRAM-SHA-256 verifier (a
// password given that way is stored as is, as PostgreSQL does).
func IsVerifier(s string) bool {
	_, err := ParseVerifier(s)
	return err == nil
}

// ParseVerifier reads PostgreSQL's verifier text.
func ParseVerifier(s string) (*Verifier, error) {
	rest, ok := strings.CutPrefix(s, "SCRAM-SHA-256$")
	if !ok {
		return nil, fmt.Errorf("scram: not a SCRAM-SHA-256 verifier")
	}
	iterSalt, keys, ok := strings.Cut(rest, "$")
	if !ok {
		return nil, fmt.Errorf("scram: malformed verifier")
	}
	iterText, saltText, ok1 := strings.Cut(iterSalt, ":")
	storedText, serverText, ok2 := strings.Cut(keys, ":")
	if !ok1 || !ok2 {
		return nil, fmt.Errorf("scram: malformed verifier")
	}
	iter, err := strconv.Atoi(iterText)
	if err != nil || iter <= 0 {
		return nil, fmt.Errorf("scram: malformed verifier iterations")
	}
	dec := base64.StdEncoding.DecodeString
	salt, err1 := dec(saltText)
	stored, err2 := dec(storedText)
	server, err3 := dec(serverText)
	if err1 != nil || err2 != nil || err3 != nil || len(salt) == 0 || len(stored) != sha256.Size || len(server) != sha256.Size {
		return nil, fmt.Errorf("scram: malformed verifier")
	}
	return &Verifier{Iterations: iter, Salt: salt, StoredKey: stored, ServerKey: server}, nil
}

// CheckPassword reports whether password matches verifier (for the
// cleartext "password" method).
func CheckPassword(verifier, password string) bool {
	v, err := ParseVerifier(verifier)
	if err != nil {
		return false
	}
	d, err := derive(password, v.Salt, v.Iterations)
	if err != nil {
		return false
	}
	return hmac.Equal(d.StoredKey, v.StoredKey) && hmac.Equal(d.ServerKey, v.ServerKey)
}

// MockVerifier is what an exchange for an unknown role (or one without a
// password) runs against, as PostgreSQL's mock authentication does: the
// salt is derived from the role name and a server secret, so that a
// client sees the same salt every time and cannot tell the role is
// missing; the keys are random, so no proof matches.
func MockVerifier(secret []byte, user string) *Verifier {
	h := hmac.New(sha256.New, secret)
	h.Write([]byte(user))
	salt := h.Sum(nil)[:saltLen]
	stored := make([]byte, sha256.Size)
	server := make([]byte, sha256.Size)
	_, _ = rand.Read(stored)
	_, _ = rand.Read(server)
	return &Verifier{Iterations: Iterations, Salt: salt, StoredKey: stored, ServerKey: server}
}
