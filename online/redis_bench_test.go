package online

import (
	"context"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/featurehouse/featurehouse/internal/redistest"
)

// BenchmarkRedisGetOne compares the store's one-key Get with a bare
// go-redis GET on the same server: the difference is the store's overhead.
func BenchmarkRedisGetOne(b *testing.B) {
	addr, _, _ := redistest.StartRedis(b)
	ctx := context.Background()
	s, err := Open("redis://"+addr, Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	v := Version(1, 1)
	if err := s.Put(ctx, "bench", []Entry{{Key: "k", Value: append(v[:], make([]byte, 400)...)}}); err != nil {
		b.Fatal(err)
	}
	b.Run("store", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if _, err := s.Get(ctx, "bench", []string{"k"}); err != nil {
				b.Fatal(err)
			}
		}
	})
	c := redis.NewClient(&redis.Options{Addr: addr})
	defer c.Close()
	b.Run("go-redis-get", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if err := c.Get(ctx, redisKey("bench", "k")).Err(); err != nil {
				b.Fatal(err)
			}
		}
	})
}
