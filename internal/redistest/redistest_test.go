package redistest

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"
)

func TestStartRedis(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	addr, stop, restart := StartRedis(t)
	must := func(want string, args ...string) {
		t.Helper()
		got, err := command(ctx, addr, args...)
		if err != nil || got != want {
			t.Fatalf("%v: %q %v, want %q", args, got, err, want)
		}
	}
	must("OK", "SET", "k", "v")
	must("v", "GET", "k")
	stop()
	if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		_ = c.Close()
		t.Fatal("stopped server still accepts connections")
	}
	restart()
	must("PONG", "PING")
	if _, err := command(ctx, addr, "GET", "k"); !errors.Is(err, errNull) {
		t.Fatalf("GET after restart (the server starts empty): %v", err)
	}
}

func TestStartCluster(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	addrs := StartCluster(t)
	if len(addrs) != 3 {
		t.Fatalf("%d nodes", len(addrs))
	}
	for _, a := range addrs {
		info, err := command(ctx, a, "CLUSTER", "INFO")
		if err != nil || !strings.Contains(info, "cluster_state:ok") || !strings.Contains(info, "cluster_size:3") {
			t.Fatalf("%s: %v\n%s", a, err, info)
		}
	}
}
