package duckdb

import (
	"context"
	"database/sql/driver"
	"time"
	"unsafe"

	"github.com/duckdb/duckdb-go/v2/mapping"
)

// featurehouse patch: opt-in borrowed row values.
//
// Upstream rows.Next allocates for every value it returns: a copy of every
// VARCHAR, and the interface box of every time.Time, float64, int32 and
// int64. A context made by WithBorrowedValues asks rows.Next to return, for
// columns of those types, values that are only valid until the next call to
// Next (or Close): a VARCHAR is a string pointing into DuckDB's chunk memory,
// and each value's interface points at a per-column slot of the rows that
// the next Next overwrites. The caller must copy or encode every value
// before it calls Next again; it must never keep one.

type borrowedKey struct{}

// WithBorrowedValues returns a context under which QueryContext's rows
// return values valid only until the next Next (see above).
func WithBorrowedValues(ctx context.Context) context.Context {
	return context.WithValue(ctx, borrowedKey{}, true)
}

func borrowedRequested(ctx context.Context) bool {
	v, _ := ctx.Value(borrowedKey{}).(bool)
	return v
}

const (
	borrowGeneric = iota
	borrowString
	borrowTS // TIMESTAMP, TIMESTAMP WITH TIME ZONE (microseconds)
	borrowF64
	borrowI32
	borrowI64
)

// borrowed is the per-rows state of the borrowed mode.
type borrowed struct {
	kinds []uint8 // per column; nil until the first chunk
	strs  []string
	tss   []time.Time
	f64s  []float64
	i32s  []int32
	i64s  []int64
}

// eface is the runtime layout of an empty interface.
type eface struct {
	typ  unsafe.Pointer
	data unsafe.Pointer
}

func typeOf(v any) unsafe.Pointer { return (*eface)(unsafe.Pointer(&v)).typ }

var (
	typString = typeOf("")
	typTime   = typeOf(time.Time{})
	typF64    = typeOf(float64(0))
	typI32    = typeOf(int32(0))
	typI64    = typeOf(int64(0))
)

// boxAt returns an interface of dynamic type typ whose value is *p, without
// copying it: the interface sees later writes to *p.
func boxAt(typ, p unsafe.Pointer) any {
	var v any
	e := (*eface)(unsafe.Pointer(&v))
	e.typ, e.data = typ, p
	return v
}

func (b *borrowed) init(cols []vector) {
	n := len(cols)
	b.kinds = make([]uint8, n)
	b.strs = make([]string, n)
	b.tss = make([]time.Time, n)
	b.f64s = make([]float64, n)
	b.i32s = make([]int32, n)
	b.i64s = make([]int64, n)
	for i := range cols {
		switch cols[i].Type {
		case TYPE_VARCHAR:
			if !cols[i].isJSON { // JSON is decoded as the driver always does
				b.kinds[i] = borrowString
			}
		case TYPE_TIMESTAMP, TYPE_TIMESTAMP_TZ:
			b.kinds[i] = borrowTS
		case TYPE_DOUBLE:
			b.kinds[i] = borrowF64
		case TYPE_INTEGER:
			b.kinds[i] = borrowI32
		case TYPE_BIGINT:
			b.kinds[i] = borrowI64
		}
	}
}

// nextBorrowed fills dst with row rowIdx of r.chunk in the borrowed mode.
func (r *rows) nextBorrowed(dst []driver.Value, rowIdx mapping.IdxT) error {
	b := r.borrow
	if b.kinds == nil {
		b.init(r.chunk.columns)
	}
	for i := range r.chunk.columns {
		vec := &r.chunk.columns[i]
		kind := b.kinds[i]
		if kind == borrowGeneric {
			value, err := vec.getFn(vec, rowIdx)
			if err != nil {
				return getError(errAPI, addIndexToError(err, i))
			}
			if bit, ok := value.(Bit); ok {
				value = bit.String()
			}
			dst[i] = value
			continue
		}
		if vec.getNull(rowIdx) {
			dst[i] = nil
			continue
		}
		switch kind {
		case borrowString:
			b.strs[i] = getBorrowedStringAt(vec.dataPtr, rowIdx)
			dst[i] = boxAt(typString, unsafe.Pointer(&b.strs[i]))
		case borrowTS:
			b.tss[i] = time.UnixMicro(int64(getPrimitive[int64](vec, rowIdx))).UTC()
			dst[i] = boxAt(typTime, unsafe.Pointer(&b.tss[i]))
		case borrowF64:
			b.f64s[i] = getPrimitive[float64](vec, rowIdx)
			dst[i] = boxAt(typF64, unsafe.Pointer(&b.f64s[i]))
		case borrowI32:
			b.i32s[i] = getPrimitive[int32](vec, rowIdx)
			dst[i] = boxAt(typI32, unsafe.Pointer(&b.i32s[i]))
		case borrowI64:
			b.i64s[i] = getPrimitive[int64](vec, rowIdx)
			dst[i] = boxAt(typI64, unsafe.Pointer(&b.i64s[i]))
		}
	}
	return nil
}
