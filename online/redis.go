package online

import "errors"

// openRedis is built in redis.go by the Redis implementation.
func openRedis(uri string, opt Options) (Store, error) {
	return nil, errors.New("redis online store: not built yet")
}
