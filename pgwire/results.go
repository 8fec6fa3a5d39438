package pgwire

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/featurehouse/featurehouse/sql/pgerror"
	"github.com/featurehouse/featurehouse/sql/types"
)

// rowEncoder holds what encoding one result's rows needs, resolved once.
type rowEncoder struct {
	cols   []types.Column
	binary []bool
	opt    types.Options
	fns    []types.EncodeFunc // per column, for its type and format
}

// resolveFormats expands Bind's result format codes (none = all text, one =
// for all, else one per column) to one per column.
func resolveFormats(codes []int16, n int) ([]bool, *pgerror.Error) {
	out := make([]bool, n)
	switch {
	case len(codes) == 0:
	case len(codes) == 1:
		for i := range out {
			out[i] = codes[0] == 1
		}
	case len(codes) == n:
		for i, c := range codes {
			out[i] = c == 1
		}
	default:
		return nil, errProtocol("bind message has %d result formats but query has %d columns", len(codes), n)
	}
	for _, c := range codes {
		if c != 0 && c != 1 {
			return nil, errProtocol("unsupported format code: %d", c)
		}
	}
	return out, nil
}

func newRowEncoder(cols []types.Column, codes []int16, opt types.Options) (*rowEncoder, *pgerror.Error) {
	bin, perr := resolveFormats(codes, len(cols))
	if perr != nil {
		return nil, perr
	}
	if perr := checkBinary(cols, bin); perr != nil {
		return nil, perr
	}
	fns := make([]types.EncodeFunc, len(cols))
	for i, c := range cols {
		fns[i] = encoderFor(c.Type, bin[i])
	}
	return &rowEncoder{cols: cols, binary: bin, opt: opt, fns: fns}, nil
}

// checkBinary refuses binary output for a type sql/types cannot encode so.
func checkBinary(cols []types.Column, bin []bool) *pgerror.Error {
	for i, b := range bin {
		if b && !supportsBinary(cols[i].Type) {
			return pgerror.New(pgerror.FeatureNotSupported,
				"binary output format is not supported for type %s (column %q)", cols[i].Type.Name, cols[i].Name)
		}
	}
	return nil
}

// rowDescription describes cols; bin nil means all text.
func rowDescription(cols []types.Column, bin []bool) *pgproto3.RowDescription {
	fields := make([]pgproto3.FieldDescription, len(cols))
	for i, c := range cols {
		f := pgproto3.FieldDescription{
			Name:                 []byte(c.Name),
			TableOID:             c.TableOID,
			TableAttributeNumber: uint16(c.AttrNum),
			DataTypeOID:          c.Type.OID,
			DataTypeSize:         c.Type.Size,
			TypeModifier:         c.Type.Modifier,
		}
		if bin != nil && bin[i] {
			f.Format = 1
		}
		fields[i] = f
	}
	return &pgproto3.RowDescription{Fields: fields}
}

// rowBatch is how many bytes of DataRows sendRows encodes before handing
// them to the writer (one lock per batch, not per row).
const rowBatch = flushThreshold

// appendDataRow appends one DataRow message to b. On error b is returned
// as it was.
func (enc *rowEncoder) appendDataRow(b []byte, row []any) ([]byte, error) {
	if len(row) != len(enc.cols) {
		return b, pgerror.New(pgerror.InternalError, "result row has %d values but %d columns", len(row), len(enc.cols))
	}
	start := len(b)
	b = append(b, 'D', 0, 0, 0, 0, byte(len(row)>>8), byte(len(row)))
	var err error
	for i, v := range row {
		if v == nil {
			b = append(b, 0xff, 0xff, 0xff, 0xff)
			continue
		}
		lp := len(b)
		b = append(b, 0, 0, 0, 0)
		b, err = enc.fns[i](b, v, enc.opt)
		if err != nil {
			return b[:start], encodeError(err, enc.cols[i])
		}
		binary.BigEndian.PutUint32(b[lp:], uint32(len(b)-lp-4))
	}
	if len(b)-start-1 > 1<<30 {
		return b[:start], pgerror.New(pgerror.ProgramLimitExceeded, "result row is larger than 1 GB")
	}
	binary.BigEndian.PutUint32(b[start+1:], uint32(len(b)-start-1))
	return b, nil
}

// dataRow queues one DataRow (a batch of one).
func (w *writer) dataRow(row []any, enc *rowEncoder) error {
	b, err := enc.appendDataRow(nil, row)
	if err != nil {
		return err
	}
	w.beginRows()
	return w.writeRows(b, true)
}

func encodeError(err error, col types.Column) error {
	if pe, ok := pgerror.As(err); ok {
		return pe
	}
	return &pgerror.Error{
		Severity: "ERROR", Code: pgerror.InternalError, Cause: err,
		Message: fmt.Sprintf("cannot encode value of column %q as %s: %v", col.Name, col.Type.Name, err),
	}
}

// sendRows streams rows from rr until EOF or, when limit > 0, until limit
// rows were sent (suspended = true; rr stays open for the next Execute).
// Rows are encoded into c.rows without the writer's lock and handed to the
// writer a batch at a time; every row encoded is queued before it returns.
func (c *conn) sendRows(ctx context.Context, rr RowResult, enc *rowEncoder, limit int64) (suspended bool, err error) {
	b := c.rows[:0]
	c.w.beginRows()
	defer func() {
		if werr := c.w.writeRows(b, true); werr != nil && err == nil {
			suspended, err = false, werr
		}
		if cap(b) > keepBufferCap {
			b = nil
		}
		c.rows = b[:0]
	}()
	var n int64
	for {
		if limit > 0 && n >= limit {
			return true, nil
		}
		// A RowResult that never blocks would not notice a cancel; look now
		// and then (ctx.Err takes a lock, so not on every row).
		if n&1023 == 1023 && ctx.Err() != nil {
			return false, ctx.Err()
		}
		row, err := rr.Next(ctx)
		if err != nil {
			if errors.Is(err, io.EOF) {
				return false, nil
			}
			return false, err
		}
		if b, err = enc.appendDataRow(b, row); err != nil {
			return false, err
		}
		n++
		if len(b) >= rowBatch {
			if err := c.w.writeRows(b, false); err != nil {
				return false, err
			}
			b = b[:0]
		}
	}
}

// commandComplete queues CommandComplete with tag.
func (c *conn) commandComplete(tag string) {
	c.w.send(&pgproto3.CommandComplete{CommandTag: []byte(tag)})
}
