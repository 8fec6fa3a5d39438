package pgwire

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"strings"
)

// Authentication methods of a rule.
const (
	MethodTrust  = "trust"
	MethodReject = "reject"
	MethodSCRAM  = "scram-sha-256"
	// MethodPassword asks for the password in clear text; it is refused on
	// connections that are not TLS.
	MethodPassword = "password"
)

// HBARule is one line of the rules file, in the spirit of pg_hba.conf:
//
//	TYPE       DATABASE  USER   ADDRESS          METHOD
//	host       all       all    127.0.0.1/32     trust
//	hostssl    all       alice  10.0.0.0/8       scram-sha-256
//	hostnossl  all       all    all              reject
//
// The first rule matching the connection's type, database, user and
// address decides; no match refuses the connection.
type HBARule struct {
	// Type is host (TLS or not), hostssl (TLS only) or hostnossl.
	Type string
	// Databases and Users are the names listed (nil: all).
	Databases, Users []string
	// Net is the address range (nil: all).
	Net    *net.IPNet
	Method string
	// Line is where the rule came from, for messages.
	Line int
}

func (r *HBARule) matches(tls bool, db, user string, ip net.IP) bool {
	switch r.Type {
	case "hostssl":
		if !tls {
			return false
		}
	case "hostnossl":
		if tls {
			return false
		}
	}
	if r.Databases != nil && !contains(r.Databases, db) {
		return false
	}
	if r.Users != nil && !contains(r.Users, user) {
		return false
	}
	return r.Net == nil || (ip != nil && r.Net.Contains(ip))
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// ReadHBAFile reads a rules file.
func ReadHBAFile(path string) ([]HBARule, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("rules file: %w", err)
	}
	defer f.Close()
	var rules []HBARule
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		r, ok, err := ParseHBALine(sc.Text(), n)
		if err != nil {
			return nil, fmt.Errorf("rules file %s: %w", path, err)
		}
		if ok {
			rules = append(rules, r)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("rules file %s: %w", path, err)
	}
	if len(rules) == 0 {
		return nil, fmt.Errorf("rules file %s: no rules: every connection would be refused", path)
	}
	return rules, nil
}

// ParseHBALine parses one line; ok is false for blank and comment lines.
func ParseHBALine(line string, n int) (HBARule, bool, error) {
	if i := strings.IndexByte(line, '#'); i >= 0 {
		line = line[:i]
	}
	f := strings.Fields(line)
	if len(f) == 0 {
		return HBARule{}, false, nil
	}
	r := HBARule{Line: n, Type: strings.ToLower(f[0])}
	switch r.Type {
	case "host", "hostssl", "hostnossl":
	case "local":
		return r, false, fmt.Errorf("line %d: local (Unix socket) rules are not supported: featurehouse listens on TCP only", n)
	default:
		return r, false, fmt.Errorf("line %d: invalid connection type %q: want host, hostssl or hostnossl", n, f[0])
	}
	if len(f) != 5 {
		return r, false, fmt.Errorf("line %d: want TYPE DATABASE USER ADDRESS METHOD, got %d fields", n, len(f))
	}
	names := func(s string) []string {
		if s == "all" {
			return nil
		}
		return strings.Split(s, ",")
	}
	r.Databases, r.Users = names(f[1]), names(f[2])
	for _, u := range r.Users {
		if strings.HasPrefix(u, "+") || strings.HasPrefix(u, "@") {
			return r, false, fmt.Errorf("line %d: group (+role) and file (@file) user lists are not supported", n)
		}
	}
	switch addr := f[3]; addr {
	case "all":
	default:
		if !strings.Contains(addr, "/") {
			if ip := net.ParseIP(addr); ip != nil {
				bits := 32
				if ip.To4() == nil {
					bits = 128
				}
				addr = fmt.Sprintf("%s/%d", addr, bits)
			}
		}
		_, ipnet, err := net.ParseCIDR(addr)
		if err != nil {
			return r, false, fmt.Errorf("line %d: invalid address %q: want all or a CIDR range such as 10.0.0.0/8", n, f[3])
		}
		r.Net = ipnet
	}
	switch m := strings.ToLower(f[4]); m {
	case MethodTrust, MethodReject, MethodSCRAM, MethodPassword:
		r.Method = m
	case "md5":
		// As PostgreSQL does for roles with SCRAM verifiers, md5 runs SCRAM.
		r.Method = MethodSCRAM
	default:
		return r, false, fmt.Errorf("line %d: invalid authentication method %q: want trust, reject, scram-sha-256 or password", n, f[4])
	}
	return r, true, nil
}

// TrustsRemote reports whether some rule lets a non-loopback address in
// without a password (a server with such rules must listen on loopback
// only).
func TrustsRemote(rules []HBARule) bool {
	for _, r := range rules {
		if r.Method != MethodTrust {
			continue
		}
		if r.Net == nil {
			return true
		}
		ones, bits := r.Net.Mask.Size()
		loop := net.IPv4(127, 0, 0, 0).Mask(net.CIDRMask(8, 32))
		if r.Net.IP.To4() != nil {
			if !(ones >= 8 && bits == 32 && r.Net.IP.Mask(net.CIDRMask(8, 32)).Equal(loop)) {
				return true
			}
		} else if !(ones == 128 && r.Net.IP.Equal(net.IPv6loopback)) {
			return true
		}
	}
	return false
}
