package planner

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/featurehouse/featurehouse/catalog"
	"github.com/featurehouse/featurehouse/duckdb"
	"github.com/featurehouse/featurehouse/online"
	"github.com/featurehouse/featurehouse/sql/pgerror"
	"github.com/featurehouse/featurehouse/sql/types"
)

// onlineServer is the planner's side of the online store: which namespace
// holds a group's records, the write path (write-if-newer after every
// committed write), rebuilds from the offline data, and the catching up
// after the store was unreachable.
//
// Ordering: every writer holds its group's lock shared from before its
// offline commit until its online write is done; TRUNCATE, DELETE and
// REFRESH hold it exclusively around their offline commit (when they can)
// and their online rebuild. So a rebuild never misses a committed write,
// and a write's online put never lands after a rebuild that removed it.
type onlineServer struct {
	store    online.Store
	catalog  *catalog.Catalog
	engine   *duckdb.Engine
	fallback bool // serve lookups from DuckDB when the store fails
	stats    *servingStats

	mu    sync.Mutex
	locks map[int64]*sync.RWMutex

	wake chan struct{} // asks the reconciler to look at pending groups now

	views map[int64]*viewServing // online feature views by id, under mu (online_view.go)
}

// recordBatch is how many records one store call carries.
const recordBatch = 1000

func (o *onlineServer) lock(groupID int64) *sync.RWMutex {
	o.mu.Lock()
	defer o.mu.Unlock()
	l := o.locks[groupID]
	if l == nil {
		l = &sync.RWMutex{}
		o.locks[groupID] = l
	}
	return l
}

// namespace is where the group's current records live.
func (o *onlineServer) namespace(g *catalog.Group) string {
	return namespaceOf(g.ID, o.catalog.OnlineState(g.ID).Generation)
}

func namespaceOf(groupID, generation int64) string {
	return "g" + strconv.FormatInt(groupID, 10) + "." + strconv.FormatInt(generation, 10)
}

// record layout after the 16-byte version: the expiry in microseconds
// (math.MinInt64: none) as 8 big-endian bytes, then the row (every column
// of the group in schema order, types.AppendRow).
const recordHeader = online.VersionLen + 8

func encodeRecord(etMicros, seq int64, expireMicros *int64, row []any) ([]byte, error) {
	v := online.Version(etMicros, seq)
	b := make([]byte, 0, 64)
	b = append(b, v[:]...)
	exp := int64(math.MinInt64)
	if expireMicros != nil {
		exp = *expireMicros
	}
	b = binary.BigEndian.AppendUint64(b, uint64(exp))
	return types.AppendRow(b, row)
}

// decodedRecord is a record read back.
type decodedRecord struct {
	etMicros     int64
	expireMicros int64 // math.MinInt64: none
	row          []any
}

func decodeRecord(b []byte) (decodedRecord, error) {
	r, err := recordHead(b)
	if err != nil {
		return r, err
	}
	r.row, err = types.DecodeRow(nil, b[recordHeader:])
	return r, err
}

// recordHead reads a record's event time and expiry, not its row.
func recordHead(b []byte) (decodedRecord, error) {
	et, _, ok := online.ParseVersion(b)
	if !ok || len(b) < recordHeader {
		return decodedRecord{}, errors.New("online record too short")
	}
	return decodedRecord{etMicros: et, expireMicros: int64(binary.BigEndian.Uint64(b[online.VersionLen:recordHeader]))}, nil
}

// keyTypeSupported reports whether entity keys of a DuckDB type have a
// canonical text form here (others keep the group off the online route).
func keyTypeSupported(duckType string) bool {
	switch duckType {
	case "VARCHAR", "TINYINT", "SMALLINT", "INTEGER", "BIGINT", "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT", "UUID":
		return true
	}
	return false
}

// canonicalKeyPart is the text of one entity key value, the same whether
// it comes from DuckDB (write path) or from a literal or parameter (lookup).
func canonicalKeyPart(duckType string, v any) (string, error) {
	switch duckType {
	case "VARCHAR":
		switch x := v.(type) {
		case string:
			return x, nil
		case []byte:
			return string(x), nil
		}
	case "UUID":
		var u [16]byte
		switch x := v.(type) {
		case []byte:
			if len(x) != 16 {
				return "", fmt.Errorf("uuid of %d bytes", len(x))
			}
			copy(u[:], x)
		case [16]byte:
			u = x
		case string:
			return canonicalUUIDText(x)
		default:
			return "", fmt.Errorf("unexpected %T for a uuid key", v)
		}
		return formatUUID(u), nil
	default: // integers
		switch x := v.(type) {
		case int8:
			return strconv.FormatInt(int64(x), 10), nil
		case int16:
			return strconv.FormatInt(int64(x), 10), nil
		case int32:
			return strconv.FormatInt(int64(x), 10), nil
		case int64:
			return strconv.FormatInt(x, 10), nil
		case int:
			return strconv.FormatInt(int64(x), 10), nil
		case uint8:
			return strconv.FormatUint(uint64(x), 10), nil
		case uint16:
			return strconv.FormatUint(uint64(x), 10), nil
		case uint32:
			return strconv.FormatUint(uint64(x), 10), nil
		case uint64:
			return strconv.FormatUint(x, 10), nil
		case float64:
			if x == math.Trunc(x) && math.Abs(x) < 1<<62 {
				return strconv.FormatInt(int64(x), 10), nil
			}
			return "", fmt.Errorf("%v is not an integer", x)
		case string:
			n, err := strconv.ParseInt(strings.TrimSpace(x), 10, 64)
			if err != nil {
				return "", err
			}
			return strconv.FormatInt(n, 10), nil
		}
	}
	return "", fmt.Errorf("unexpected %T for a %s key", v, duckType)
}

func formatUUID(u [16]byte) string {
	const hexd = "0123456789abcdef"
	b := make([]byte, 0, 36)
	for i, c := range u {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			b = append(b, '-')
		}
		b = append(b, hexd[c>>4], hexd[c&15])
	}
	return string(b)
}

func canonicalUUIDText(s string) (string, error) {
	s = strings.Trim(strings.ToLower(strings.TrimSpace(s)), "{}")
	h := strings.ReplaceAll(s, "-", "")
	if len(h) != 32 {
		return "", fmt.Errorf("invalid uuid %q", s)
	}
	var u [16]byte
	for i := 0; i < 16; i++ {
		n, err := strconv.ParseUint(h[2*i:2*i+2], 16, 8)
		if err != nil {
			return "", fmt.Errorf("invalid uuid %q", s)
		}
		u[i] = byte(n)
	}
	return formatUUID(u), nil
}

// entityKey joins the canonical parts of a (composite) key: one part as it
// is, several length-prefixed so that no two keys collide.
func entityKey(parts []string) string {
	if len(parts) == 1 {
		return parts[0]
	}
	var b []byte
	for _, p := range parts {
		b = binary.AppendUvarint(b, uint64(len(p)))
		b = append(b, p...)
	}
	return string(b)
}

// onlineEligible reports whether the group's records can be keyed here.
func onlineEligible(g *catalog.Group) bool {
	if !g.Online {
		return false
	}
	for _, f := range g.Features {
		if f.EntityKey && !keyTypeSupported(f.DuckDBType) {
			return false
		}
	}
	return true
}

// latestSQL reads, from a query over the group's stored rows (with the
// hidden columns), each entity's latest row with its version and expiry.
func latestSQL(g *catalog.Group, source string) string {
	et := g.EventTime()
	etq := quoteIdent(et.Name)
	cols := make([]string, 0, len(g.Features)+3)
	for _, f := range g.Features {
		cols = append(cols, quoteIdent(f.Name))
	}
	etUS := "epoch_us(" + etq + ")"
	if et.DuckDBType == "DATE" {
		etUS = "epoch_us(CAST(" + etq + " AS TIMESTAMP))"
	}
	cols = append(cols, etUS, duckdb.SeqColumn)
	if g.TTL != "" {
		cols = append(cols, "epoch_us("+etq+" + INTERVAL "+duckdb.QuoteString(g.TTL)+")")
	} else {
		cols = append(cols, "CAST(NULL AS BIGINT)")
	}
	keys := make([]string, 0, 2)
	for _, k := range g.EntityKeys() {
		keys = append(keys, quoteIdent(k))
	}
	return "SELECT " + strings.Join(cols, ", ") + " FROM (" + source + ") WHERE " + etq + " IS NOT NULL QUALIFY row_number() OVER (PARTITION BY " +
		strings.Join(keys, ", ") + " ORDER BY " + etq + " DESC, " + duckdb.SeqColumn + " DESC) = 1"
}

// readEntries runs latestSQL and turns each row into a store entry.
func readEntries(ctx context.Context, conn *duckdb.Conn, g *catalog.Group, source string, each func([]online.Entry) error) error {
	rows, err := conn.Query(ctx, latestSQL(g, source))
	if err != nil {
		return err
	}
	defer rows.Close()
	n := len(g.Features)
	keyIdx := make([]int, 0, 2)
	for i, f := range g.Features {
		if f.EntityKey {
			keyIdx = append(keyIdx, i)
		}
	}
	batch := make([]online.Entry, 0, recordBatch)
	parts := make([]string, len(keyIdx))
	for {
		r, err := rows.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		for j, i := range keyIdx {
			if parts[j], err = canonicalKeyPart(g.Features[i].DuckDBType, r[i]); err != nil {
				return fmt.Errorf("online key of %s: %w", g.QualifiedName(), err)
			}
		}
		et, _ := r[n].(int64)
		seq, _ := r[n+1].(int64)
		e := online.Entry{Key: entityKey(parts)}
		var expPtr *int64
		if exp, ok := r[n+2].(int64); ok {
			expPtr = &exp
			e.ExpireAt = time.UnixMicro(exp).Add(time.Millisecond) // the store's clock is in ms; we check exactly on read
		}
		if e.Value, err = encodeRecord(et, seq, expPtr, r[:n]); err != nil {
			return fmt.Errorf("online record of %s: %w", g.QualifiedName(), err)
		}
		batch = append(batch, e)
		if len(batch) == recordBatch {
			if err := each(batch); err != nil {
				return err
			}
			batch = batch[:0]
		}
	}
	if len(batch) > 0 {
		return each(batch)
	}
	return nil
}

// put writes entries into the group's current namespace, if newer.
func (o *onlineServer) put(ctx context.Context, g *catalog.Group, entries []online.Entry) error {
	start := time.Now()
	err := o.store.Put(ctx, o.namespace(g), entries)
	o.stats.observeWrite(g, time.Since(start), err)
	return err
}

// rebuild writes the group's records from its offline data into a new
// generation and switches to it; the old one is dropped. The caller holds
// the group's lock exclusively.
func (o *onlineServer) rebuild(ctx context.Context, conn *duckdb.Conn, g *catalog.Group) (int64, error) {
	st := o.catalog.OnlineState(g.ID)
	next := catalog.OnlineState{Generation: st.Generation + 1}
	ns := namespaceOf(g.ID, next.Generation)
	layout := g.Layout()
	var n int64
	err := readEntries(ctx, conn, g, "SELECT * FROM "+layout.AllRowsView(), func(es []online.Entry) error {
		n += int64(len(es))
		return o.store.Put(ctx, ns, es)
	})
	if err != nil {
		_ = o.store.DropNamespace(context.WithoutCancel(ctx), ns)
		return 0, err
	}
	if err := o.catalog.SetOnlineState(ctx, g.ID, next); err != nil {
		return 0, err
	}
	_ = o.store.DropNamespace(context.WithoutCancel(ctx), namespaceOf(g.ID, st.Generation))
	return n, nil
}

// recompute replaces the records of the given entities with their latest
// remaining offline rows (none: the record goes). The caller holds the
// group's lock exclusively.
func (o *onlineServer) recompute(ctx context.Context, conn *duckdb.Conn, g *catalog.Group, keys []string) error {
	ns := o.namespace(g)
	layout := g.Layout()
	want := make(map[string]bool, len(keys))
	for _, k := range keys {
		want[k] = true
	}
	// Read the latest rows of every entity whose key is in the set: the
	// filter is on the canonical key, computed in Go.
	found := map[string]bool{}
	var pending []online.Entry
	err := readEntries(ctx, conn, g, "SELECT * FROM "+layout.AllRowsView(), func(es []online.Entry) error {
		for _, e := range es {
			if want[e.Key] {
				found[e.Key] = true
				pending = append(pending, e)
			}
		}
		if len(pending) >= recordBatch {
			err := o.store.Replace(ctx, ns, pending)
			pending = pending[:0]
			return err
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, k := range keys {
		if !found[k] {
			pending = append(pending, online.Entry{Key: k})
		}
	}
	if len(pending) > 0 {
		return o.store.Replace(ctx, ns, pending)
	}
	return nil
}

// unavailable is the error and SQLSTATE of a store that cannot be reached.
func unavailable(err error) *pgerror.Error {
	return pgerror.New(pgerror.FDWUnableToEstablishConnection, "online store unavailable: %v", err).
		WithHint("Offline queries keep working. Lookups are served again when the store answers; set online_fallback to serve them from DuckDB meanwhile.")
}
