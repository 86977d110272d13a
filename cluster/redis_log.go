package cluster

import (
	"context"
	"fmt"
	"log/slog"
	"sync"

	"github.com/redis/go-redis/v9"
)

// quietRedis sends go-redis's own log lines (one per failed dial while
// Redis is down) to the first node's logger at debug level instead of
// standard error: the heartbeat already reports an outage once. go-redis
// has one process-wide logger, hence once.
var quietRedis sync.Once

func routeRedisLog(log *slog.Logger) {
	quietRedis.Do(func() { redis.SetLogger(redisLog{log}) })
}

type redisLog struct{ log *slog.Logger }

func (l redisLog) Printf(_ context.Context, format string, v ...any) {
	l.log.Debug("cluster: go-redis: " + fmt.Sprintf(format, v...))
}
