package planner

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/featurehouse/featurehouse/sql/pgerror"
	"github.com/featurehouse/featurehouse/sql/types"
)

// The COPY FROM spool is CSV that DuckDB's read_csv loads: client CSV is
// written through as it is; PostgreSQL's text format and binary format are
// converted to CSV on the fly (every non-NULL value quoted, NULL an empty
// unquoted field, so the two stay distinct).

// spoolWriter receives CopyData payloads.
type spoolWriter interface {
	write(data []byte) error
	finish() error
}

// passthrough writes client CSV unchanged, noting whether it ends with the
// end-of-data line `\.`, which is not data; the caller trims it.
type passthrough struct {
	w    *bufio.Writer
	tail []byte // the last bytes written, at most 5
	n    int64
	trim int64
}

func (p *passthrough) write(data []byte) error {
	p.n += int64(len(data))
	p.tail = append(p.tail, data...)
	if len(p.tail) > 5 {
		p.tail = p.tail[len(p.tail)-5:]
	}
	_, err := p.w.Write(data)
	return err
}

func (p *passthrough) finish() error {
	t := string(p.tail)
	for _, end := range []string{"\\.\r\n", "\\.\n", "\\."} {
		if !strings.HasSuffix(t, end) {
			continue
		}
		// Only a line of its own: at the start of the data or after a newline.
		if p.n == int64(len(end)) || len(t) > len(end) && t[len(t)-len(end)-1] == '\n' {
			p.trim = int64(len(end))
		}
		break
	}
	return nil
}

// textToCSV converts PostgreSQL's text COPY format.
type textToCSV struct {
	w        *bufio.Writer
	delim    byte
	null     string
	cols     []string // column names, to check each line's field count
	relation string
	lineNo   int
	partial  []byte // an incomplete last line carried to the next payload
	ended    bool   // saw the \. end-of-data line
	field    []byte
}

func (t *textToCSV) write(data []byte) error {
	if t.ended {
		return nil
	}
	buf := data
	if len(t.partial) > 0 {
		buf = append(t.partial, data...)
		t.partial = nil
	}
	for {
		i := indexByte(buf, '\n')
		if i < 0 {
			t.partial = append(t.partial[:0], buf...)
			return nil
		}
		line := buf[:i]
		buf = buf[i+1:]
		if err := t.line(line); err != nil {
			return err
		}
		if t.ended {
			return nil
		}
	}
}

func indexByte(b []byte, c byte) int {
	for i, x := range b {
		if x == c {
			return i
		}
	}
	return -1
}

func (t *textToCSV) finish() error {
	if len(t.partial) > 0 && !t.ended {
		line := t.partial
		t.partial = nil
		return t.line(line)
	}
	return nil
}

func (t *textToCSV) line(line []byte) error {
	if len(line) > 0 && line[len(line)-1] == '\r' {
		line = line[:len(line)-1]
	}
	if string(line) == `\.` {
		t.ended = true
		return nil
	}
	t.lineNo++
	if err := t.checkFields(line); err != nil {
		return err
	}
	start := 0
	first := true
	for i := 0; i <= len(line); i++ {
		if i < len(line) && line[i] == '\\' {
			i++ // an escaped character never splits a field
			continue
		}
		if i == len(line) || line[i] == t.delim {
			if !first {
				t.w.WriteByte(',')
			}
			first = false
			if err := t.writeField(line[start:i]); err != nil {
				return err
			}
			start = i + 1
		}
	}
	return t.w.WriteByte('\n')
}

// checkFields fails a line with too many or too few fields, as PostgreSQL does.
func (t *textToCSV) checkFields(line []byte) error {
	n := 1
	for i := 0; i < len(line); i++ {
		switch line[i] {
		case '\\':
			i++
		case t.delim:
			n++
		}
	}
	where := fmt.Sprintf("COPY %s, line %d: \"%s\"", t.relation, t.lineNo, line)
	if n > len(t.cols) {
		e := pgerror.New(pgerror.BadCopyFileFormat, "extra data after last expected column")
		e.Where = where
		return e
	}
	if n < len(t.cols) {
		e := pgerror.New(pgerror.BadCopyFileFormat, `missing data for column "%s"`, t.cols[n])
		e.Where = where
		return e
	}
	return nil
}

func (t *textToCSV) writeField(raw []byte) error {
	if string(raw) == t.null {
		return nil
	}
	t.field = t.field[:0]
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		if c != '\\' || i+1 >= len(raw) {
			t.field = append(t.field, c)
			continue
		}
		i++
		switch e := raw[i]; e {
		case 'b':
			t.field = append(t.field, '\b')
		case 'f':
			t.field = append(t.field, '\f')
		case 'n':
			t.field = append(t.field, '\n')
		case 'r':
			t.field = append(t.field, '\r')
		case 't':
			t.field = append(t.field, '\t')
		case 'v':
			t.field = append(t.field, '\v')
		case 'x':
			j := i + 1
			for j < len(raw) && j < i+3 && isHex(raw[j]) {
				j++
			}
			if j == i+1 {
				t.field = append(t.field, 'x')
				continue
			}
			v, _ := strconv.ParseUint(string(raw[i+1:j]), 16, 8)
			t.field = append(t.field, byte(v))
			i = j - 1
		case '0', '1', '2', '3', '4', '5', '6', '7':
			j := i
			for j < len(raw) && j < i+3 && raw[j] >= '0' && raw[j] <= '7' {
				j++
			}
			v, _ := strconv.ParseUint(string(raw[i:j]), 8, 8)
			t.field = append(t.field, byte(v))
			i = j - 1
		default:
			t.field = append(t.field, e)
		}
	}
	writeQuoted(t.w, t.field)
	return nil
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

func writeQuoted(w *bufio.Writer, v []byte) {
	w.WriteByte('"')
	for _, c := range v {
		if c == '"' {
			w.WriteByte('"')
		}
		w.WriteByte(c)
	}
	w.WriteByte('"')
}

// binaryToCSV converts PostgreSQL's binary COPY format.
type binaryToCSV struct {
	w        *bufio.Writer
	cols     []types.Column
	buf      []byte
	header   bool
	ended    bool
	line     int
	relation string
}

var copySignature = []byte("PGCOPY\n\xff\r\n\x00")

func (b *binaryToCSV) write(data []byte) error {
	b.buf = append(b.buf, data...)
	for !b.ended {
		n, err := b.next()
		if err != nil {
			return err
		}
		if n == 0 {
			break
		}
		b.buf = b.buf[n:]
	}
	return nil
}

// next consumes one header or tuple from buf; 0 means it needs more data.
func (b *binaryToCSV) next() (int, error) {
	buf := b.buf
	if !b.header {
		if len(buf) < len(copySignature)+8 {
			return 0, nil
		}
		if string(buf[:len(copySignature)]) != string(copySignature) {
			return 0, pgerror.New(pgerror.BadCopyFileFormat, "COPY file signature not recognized")
		}
		ext := int(binary.BigEndian.Uint32(buf[len(copySignature)+4:]))
		n := len(copySignature) + 8 + ext
		if len(buf) < n {
			return 0, nil
		}
		b.header = true
		return n, nil
	}
	if len(buf) < 2 {
		return 0, nil
	}
	nf := int(int16(binary.BigEndian.Uint16(buf)))
	if nf == -1 {
		b.ended = true
		return 2, nil
	}
	b.line++
	if nf != len(b.cols) {
		return 0, pgerror.New(pgerror.BadCopyFileFormat, "row field count is %d, expected %d", nf, len(b.cols)).
			WithDetail("COPY %s, line %d", b.relation, b.line)
	}
	pos := 2
	type field struct {
		null bool
		data []byte
	}
	fields := make([]field, nf)
	for i := 0; i < nf; i++ {
		if len(buf) < pos+4 {
			return 0, nil
		}
		l := int(int32(binary.BigEndian.Uint32(buf[pos:])))
		pos += 4
		if l == -1 {
			fields[i].null = true
			continue
		}
		if l < 0 || len(buf) < pos+l {
			if l < 0 {
				return 0, pgerror.New(pgerror.BadCopyFileFormat, "invalid field size")
			}
			return 0, nil
		}
		fields[i].data = buf[pos : pos+l]
		pos += l
	}
	for i, f := range fields {
		if i > 0 {
			b.w.WriteByte(',')
		}
		if f.null {
			continue
		}
		v, err := types.DecodeParam(b.cols[i].Type.OID, 1, f.data)
		if err != nil {
			e := pgerror.Wrap(err)
			e.Where = fmt.Sprintf("COPY %s, line %d, column %s", b.relation, b.line, b.cols[i].Name)
			return 0, e
		}
		writeQuoted(b.w, []byte(csvValue(v)))
	}
	b.w.WriteByte('\n')
	return pos, nil
}

func (b *binaryToCSV) finish() error {
	if !b.ended && len(b.buf) > 0 {
		return pgerror.New(pgerror.BadCopyFileFormat, "unexpected EOF in COPY data")
	}
	return nil
}

// csvValue renders a decoded binary value as text DuckDB casts back.
func csvValue(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case []byte:
		var sb strings.Builder
		for _, c := range x {
			fmt.Fprintf(&sb, `\x%02X`, c)
		}
		return sb.String()
	case time.Time:
		return x.Format("2006-01-02 15:04:05.999999Z07:00")
	case fmt.Stringer:
		return x.String()
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			if e == nil {
				parts[i] = "NULL"
			} else {
				parts[i] = csvValue(e)
			}
		}
		return "[" + strings.Join(parts, ", ") + "]"
	default:
		return fmt.Sprint(v)
	}
}
