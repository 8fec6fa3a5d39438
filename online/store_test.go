package online

import (
	"context"
	"fmt"
	"testing"
	"time"
)

func rec(et, seq int64, payload string) []byte {
	v := Version(et, seq)
	return append(v[:], payload...)
}

// testStore runs the behaviour every Store must have against a fresh one.
func testStore(t *testing.T, open func(t *testing.T) Store) {
	ctx := context.Background()
	t.Run("put-if-newer", func(t *testing.T) {
		s := open(t)
		ns := fmt.Sprintf("t%d", time.Now().UnixNano())
		must(t, s.Put(ctx, ns, []Entry{{Key: "a", Value: rec(100, 1, "a100")}, {Key: "b", Value: rec(-5, 1, "b-5")}}))
		// Older event time loses, later write at the same time wins, equal loses.
		must(t, s.Put(ctx, ns, []Entry{{Key: "a", Value: rec(99, 9, "a99")}, {Key: "b", Value: rec(-5, 2, "b-5s2")}}))
		must(t, s.Put(ctx, ns, []Entry{{Key: "b", Value: rec(-5, 2, "b-5dup")}}))
		got, err := s.Get(ctx, ns, []string{"a", "b", "missing", "a"})
		must(t, err)
		want := []string{"a100", "b-5s2", "", "a100"}
		for i := range want {
			if payload(got[i]) != want[i] {
				t.Errorf("key %d: got %q, want %q", i, payload(got[i]), want[i])
			}
		}
		// Negative and positive event times order correctly.
		must(t, s.Put(ctx, ns, []Entry{{Key: "b", Value: rec(3, 0, "b3")}}))
		got, _ = s.Get(ctx, ns, []string{"b"})
		if payload(got[0]) != "b3" {
			t.Errorf("after newer positive time: %q", payload(got[0]))
		}
	})
	t.Run("expiry", func(t *testing.T) {
		s := open(t)
		ns := fmt.Sprintf("e%d", time.Now().UnixNano())
		now := time.Now()
		must(t, s.Put(ctx, ns, []Entry{
			{Key: "gone", Value: rec(1, 1, "x"), ExpireAt: now.Add(-time.Second)},
			{Key: "soon", Value: rec(1, 1, "y"), ExpireAt: now.Add(300 * time.Millisecond)},
			{Key: "kept", Value: rec(1, 1, "z"), ExpireAt: now.Add(time.Hour)},
		}))
		got, err := s.Get(ctx, ns, []string{"gone", "soon", "kept"})
		must(t, err)
		if got[0] != nil || payload(got[1]) != "y" || payload(got[2]) != "z" {
			t.Fatalf("before expiry: %q %q %q", got[0], got[1], got[2])
		}
		time.Sleep(400 * time.Millisecond)
		got, _ = s.Get(ctx, ns, []string{"soon", "kept"})
		if got[0] != nil || payload(got[1]) != "z" {
			t.Fatalf("after expiry: %q %q", got[0], got[1])
		}
		// An expired record does not block an older live one.
		must(t, s.Put(ctx, ns, []Entry{{Key: "soon", Value: rec(0, 1, "older"), ExpireAt: now.Add(time.Hour)}}))
		got, _ = s.Get(ctx, ns, []string{"soon"})
		if payload(got[0]) != "older" {
			t.Fatalf("older after expiry: %q", got[0])
		}
	})
	t.Run("replace-delete-drop", func(t *testing.T) {
		s := open(t)
		ns := fmt.Sprintf("r%d", time.Now().UnixNano())
		other := ns + "x"
		must(t, s.Put(ctx, ns, []Entry{{Key: "a", Value: rec(10, 1, "a10")}, {Key: "b", Value: rec(10, 1, "b10")}}))
		must(t, s.Put(ctx, other, []Entry{{Key: "a", Value: rec(10, 1, "other")}}))
		must(t, s.Replace(ctx, ns, []Entry{{Key: "a", Value: rec(5, 1, "a5")}, {Key: "b"}}))
		got, _ := s.Get(ctx, ns, []string{"a", "b"})
		if payload(got[0]) != "a5" || got[1] != nil {
			t.Fatalf("after replace: %q %q", got[0], got[1])
		}
		must(t, s.DropNamespace(ctx, ns))
		deadline := time.Now().Add(5 * time.Second)
		for {
			got, _ = s.Get(ctx, ns, []string{"a"})
			if got[0] == nil || time.Now().After(deadline) {
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
		if got[0] != nil {
			t.Fatalf("after drop: %q", got[0])
		}
		got, _ = s.Get(ctx, other, []string{"a"})
		if payload(got[0]) != "other" {
			t.Fatalf("drop touched another namespace: %q", got[0])
		}
	})
	t.Run("batch", func(t *testing.T) {
		s := open(t)
		ns := fmt.Sprintf("b%d", time.Now().UnixNano())
		var es []Entry
		var keys []string
		for i := 0; i < 1000; i++ {
			k := fmt.Sprintf("k%04d", i)
			es = append(es, Entry{Key: k, Value: rec(int64(i), 0, k)})
			keys = append(keys, k)
		}
		must(t, s.Put(ctx, ns, es))
		got, err := s.Get(ctx, ns, keys)
		must(t, err)
		for i, k := range keys {
			if payload(got[i]) != k {
				t.Fatalf("key %s: %q", k, got[i])
			}
		}
	})
	t.Run("ping", func(t *testing.T) {
		must(t, open(t).Ping(ctx))
	})
}

func payload(r []byte) string {
	if r == nil {
		return ""
	}
	return string(r[VersionLen:])
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestMemoryStore(t *testing.T) {
	testStore(t, func(t *testing.T) Store { return NewMemory() })
}

func TestVersionOrder(t *testing.T) {
	cases := [][2]int64{{-1, 0}, {0, 0}, {0, 1}, {1, -5}, {1 << 40, 0}}
	for i := 1; i < len(cases); i++ {
		a := Version(cases[i][0], cases[i][1])
		b := Version(cases[i-1][0], cases[i-1][1])
		if !Newer(a[:], b[:]) || Newer(b[:], a[:]) {
			t.Errorf("%v should be newer than %v", cases[i], cases[i-1])
		}
		et, seq, ok := ParseVersion(a[:])
		if !ok || et != cases[i][0] || seq != cases[i][1] {
			t.Errorf("round trip %v: %d %d", cases[i], et, seq)
		}
	}
}
