package catalog

import (
	"context"
	"strings"

	"github.com/featurehouse/featurehouse/duckdb"
	"github.com/featurehouse/featurehouse/sql/pgerror"
)

// applyOptions sets WITH (...) options on g, checking each value. Interval
// options are checked by DuckDB on conn.
func applyOptions(ctx context.Context, conn *duckdb.Conn, g *Group, opts map[string]string, order []string) error {
	for _, k := range order {
		v := opts[k]
		switch k {
		case "description":
			g.Description = v
		case "owner":
			g.Owner = v
		case "online":
			b, ok := parseBool(v)
			if !ok {
				return pgerror.New(pgerror.InvalidParameterValue, `invalid value for boolean option "online": %s`, v)
			}
			g.Online = b
		case "ttl", "retention":
			if v != "" && !strings.EqualFold(v, "none") {
				if err := checkInterval(ctx, conn, k, v); err != nil {
					return err
				}
			} else {
				v = ""
			}
			if k == "ttl" {
				g.TTL = v
			} else {
				g.Retention = v
			}
		case "partition_by":
			v = strings.ToLower(v)
			switch v {
			case "none", "day", "month", "year":
				g.PartitionBy = v
			default:
				return pgerror.New(pgerror.InvalidParameterValue, `invalid value for option "partition_by": "%s"`, v).
					WithHint("Valid values are none, day, month and year.")
			}
		case "tags":
			g.Tags = nil
			for _, t := range strings.Split(v, ",") {
				if t = strings.TrimSpace(t); t != "" {
					g.Tags = append(g.Tags, t)
				}
			}
		default:
			return pgerror.New(pgerror.InvalidParameterValue, `unrecognized parameter "%s"`, k).
				WithHint("Valid options are description, owner, online, ttl, retention, partition_by and tags.")
		}
	}
	return nil
}

func parseBool(v string) (bool, bool) {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "true", "on", "yes", "1", "t", "y":
		return true, true
	case "false", "off", "no", "0", "f", "n":
		return false, true
	}
	return false, false
}

func checkInterval(ctx context.Context, conn *duckdb.Conn, name, v string) error {
	var out any
	if _, err := conn.QueryRow(ctx, "SELECT CAST(? AS INTERVAL) > INTERVAL '0 seconds'", []any{v}, &out); err != nil {
		return pgerror.New(pgerror.InvalidParameterValue, `invalid value for option "%s": "%s"`, name, v).
			WithHint("Give an interval such as '30 days' or '12 hours'.")
	}
	if b, _ := out.(bool); !b {
		return pgerror.New(pgerror.InvalidParameterValue, `option "%s" must be a positive interval: "%s"`, name, v)
	}
	return nil
}
