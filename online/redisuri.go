package online

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"github.com/redis/go-redis/v9"
)

// isMemoryURI and isRedisURI follow Open's dispatch.
func isMemoryURI(uri string) bool { return uri == "" || uri == "memory://" || uri == "memory" }

func isRedisURI(uri string) bool {
	return strings.HasPrefix(uri, "redis://") || strings.HasPrefix(uri, "rediss://") ||
		strings.HasPrefix(uri, "redis+cluster://") || strings.Contains(uri, ",")
}

// parseRedisURI makes the go-redis options of a URI: one of them is nil.
// Forms: redis://[user:pass@]host:port[/db][?go-redis options], rediss://
// (TLS), redis+cluster://[user:pass@]h1:p1,h2:p2[?options], and a
// comma-separated list of redis:// or rediss:// URIs or host:port seeds
// (a cluster). Options given in the URI (dial_timeout=...) win over opt.
func parseRedisURI(uri string, opt Options) (*redis.Options, *redis.ClusterOptions, error) {
	bad := func(err error) error {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // url.Error repeats the URI, password included
		}
		return fmt.Errorf("online store URI %q: %w", redactURI(uri), err)
	}
	var co *redis.ClusterOptions
	var err error
	switch {
	case strings.HasPrefix(uri, "redis+cluster://"):
		co, err = parseClusterForm(strings.TrimPrefix(uri, "redis+cluster://"))
	case strings.Contains(uri, ","):
		co, err = parseSeedList(uri)
	case strings.HasPrefix(uri, "redis://") || strings.HasPrefix(uri, "rediss://"):
		var o *redis.Options
		if o, err = redis.ParseURL(uri); err != nil {
			return nil, nil, bad(err)
		}
		if err = checkHostPort(o.Addr); err != nil {
			return nil, nil, bad(err)
		}
		applyOptions(o, opt)
		return o, nil, nil
	default:
		err = errors.New("expected redis://, rediss://, redis+cluster:// or a comma-separated list of seeds")
	}
	if err != nil {
		return nil, nil, bad(err)
	}
	applyClusterOptions(co, opt)
	return nil, co, nil
}

// parseClusterForm parses what follows redis+cluster://.
func parseClusterForm(rest string) (*redis.ClusterOptions, error) {
	rest, query, hasQuery := strings.Cut(rest, "?")
	authority, path, _ := strings.Cut(rest, "/")
	if err := checkClusterDB(path); err != nil {
		return nil, err
	}
	userinfo := ""
	if i := strings.LastIndexByte(authority, '@'); i >= 0 {
		userinfo, authority = authority[:i+1], authority[i+1:]
	}
	var hosts []string
	for _, h := range strings.Split(authority, ",") {
		h = strings.TrimSpace(h)
		if err := checkHostPort(h); err != nil {
			return nil, err
		}
		hosts = append(hosts, h)
	}
	base := "redis://" + userinfo + hosts[0]
	if hasQuery {
		base += "?" + query
	}
	co, err := redis.ParseClusterURL(base)
	if err != nil {
		return nil, err
	}
	co.Addrs = append(co.Addrs[:0:0], hosts...)
	return co, nil
}

// parseSeedList parses a comma-separated list of seeds: redis:// or
// rediss:// URIs (all of one scheme and credentials; options only on the
// first) or host:port, which take the scheme and credentials of the URIs.
func parseSeedList(uri string) (*redis.ClusterOptions, error) {
	var hosts []string
	var first *url.URL
	for i, p := range strings.Split(uri, ",") {
		p = strings.TrimSpace(p)
		if p == "" {
			return nil, fmt.Errorf("empty seed at position %d of the list", i+1)
		}
		if !strings.Contains(p, "://") {
			if err := checkHostPort(p); err != nil {
				return nil, err
			}
			hosts = append(hosts, p)
			continue
		}
		u, err := url.Parse(p)
		if err != nil {
			return nil, err
		}
		if u.Scheme != "redis" && u.Scheme != "rediss" {
			return nil, fmt.Errorf("seed %q: a cluster seed is redis://, rediss:// or host:port", redactURI(p))
		}
		if err := checkClusterDB(strings.TrimPrefix(u.Path, "/")); err != nil {
			return nil, err
		}
		host := u.Host
		if u.Port() == "" {
			host = net.JoinHostPort(u.Hostname(), "6379")
		}
		if err := checkHostPort(host); err != nil {
			return nil, err
		}
		hosts = append(hosts, host)
		if first == nil {
			first = u
			continue
		}
		if u.Scheme != first.Scheme {
			return nil, errors.New("seeds mix redis:// and rediss://")
		}
		if u.User != nil && u.User.String() != first.User.String() {
			return nil, errors.New("seeds have different credentials; a cluster has one")
		}
		if u.RawQuery != "" {
			return nil, errors.New("options (?...) may only follow the first seed")
		}
	}
	base := "redis://" + hosts[0]
	if first != nil {
		b := *first
		b.Host, b.Path, b.RawPath = hosts[0], "", ""
		base = b.String()
	}
	co, err := redis.ParseClusterURL(base)
	if err != nil {
		return nil, err
	}
	co.Addrs = hosts
	return co, nil
}

func checkClusterDB(path string) error {
	if path != "" && path != "0" {
		return fmt.Errorf("database /%s: Redis Cluster has only database 0", path)
	}
	return nil
}

// checkHostPort requires host:port with a port number.
func checkHostPort(hp string) error {
	h, p, err := net.SplitHostPort(hp)
	if err != nil {
		return fmt.Errorf("address %q: want host:port", hp)
	}
	if h == "" {
		return fmt.Errorf("address %q: no host", hp)
	}
	if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
		return fmt.Errorf("address %q: port %q is not a number from 1 to 65535", hp, p)
	}
	return nil
}

var passwordInURI = regexp.MustCompile(`(://[^:/@,]*:)[^@/,]*@`)

// redactURI hides passwords, so that errors and logs can show the URI.
func redactURI(uri string) string { return passwordInURI.ReplaceAllString(uri, "${1}xxxxx@") }
