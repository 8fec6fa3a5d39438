package types

import (
	"math"
	"strconv"
	"time"

	"github.com/duckdb/duckdb-go/v2"
)

// infinity reports +1/-1 when v is DuckDB's infinity/-infinity of the
// DuckDB type duck (duckdb-go turns them into far-away time.Time values:
// the extreme int64/int32 of the type's unit), else 0.
func infinity(duck string, v time.Time) int {
	var n int64
	lim := int64(math.MaxInt64)
	switch duck {
	case "DATE":
		n = floorDiv(v.Unix(), 86400)
		lim = math.MaxInt32
	case "TIMESTAMP_S":
		n = v.Unix()
	case "TIMESTAMP_MS":
		n = v.UnixMilli()
	case "TIMESTAMP_NS":
		n = v.UnixNano()
	default:
		n = v.UnixMicro()
	}
	switch n {
	case lim:
		return 1
	case -lim:
		return -1
	}
	return 0
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

func appendInfinity(buf []byte, sign int) []byte {
	if sign < 0 {
		return append(buf, "-infinity"...)
	}
	return append(buf, "infinity"...)
}

func appendPad(buf []byte, n int64, width int) []byte {
	if n < 0 {
		buf = append(buf, '-')
		n = -n
	}
	digits := 1
	for x := n; x >= 10; x /= 10 {
		digits++
	}
	for i := digits; i < width; i++ {
		buf = append(buf, '0')
	}
	return strconv.AppendInt(buf, n, 10)
}

// appendYMD appends YYYY-MM-DD with PostgreSQL's year numbering (no year
// 0: astronomical year y <= 0 is year 1-y BC) and reports whether it is BC.
func appendYMD(buf []byte, v time.Time) ([]byte, bool) {
	y, m, d := v.Date()
	bc := y <= 0
	if bc {
		y = 1 - y
	}
	buf = appendPad(buf, int64(y), 4)
	buf = append(buf, '-')
	buf = appendPad(buf, int64(m), 2)
	buf = append(buf, '-')
	buf = appendPad(buf, int64(d), 2)
	return buf, bc
}

// appendSeconds appends SS[.ffffff] with trailing zeros of the fraction
// removed, as PostgreSQL's AppendSeconds.
func appendSeconds(buf []byte, sec, micros int64) []byte {
	buf = appendPad(buf, sec, 2)
	if micros == 0 {
		return buf
	}
	if micros < 0 || micros > 999999 {
		// Not reached for valid values; keep the old general path.
		f := strconv.AppendInt(nil, micros+1000000, 10)[1:]
		for len(f) > 0 && f[len(f)-1] == '0' {
			f = f[:len(f)-1]
		}
		buf = append(buf, '.')
		return append(buf, f...)
	}
	var f [6]byte
	for i := 5; i >= 0; i-- {
		f[i] = byte('0' + micros%10)
		micros /= 10
	}
	n := 6
	for n > 0 && f[n-1] == '0' {
		n--
	}
	buf = append(buf, '.')
	return append(buf, f[:n]...)
}

func appendClock(buf []byte, h, m, s, micros int64) []byte {
	buf = appendPad(buf, h, 2)
	buf = append(buf, ':')
	buf = appendPad(buf, m, 2)
	buf = append(buf, ':')
	return appendSeconds(buf, s, micros)
}

// appendZone appends a UTC offset (seconds east) as PostgreSQL's
// EncodeTimezone: +HH, +HH:MM or +HH:MM:SS.
func appendZone(buf []byte, offset int) []byte {
	if offset >= 0 {
		buf = append(buf, '+')
	} else {
		buf = append(buf, '-')
		offset = -offset
	}
	sec := offset % 60
	min := offset / 60 % 60
	hour := offset / 3600
	buf = appendPad(buf, int64(hour), 2)
	if min != 0 || sec != 0 {
		buf = append(buf, ':')
		buf = appendPad(buf, int64(min), 2)
	}
	if sec != 0 {
		buf = append(buf, ':')
		buf = appendPad(buf, int64(sec), 2)
	}
	return buf
}

func appendDateText(buf []byte, t Type, v any) ([]byte, error) {
	d, ok := v.(time.Time)
	if !ok {
		return nil, errUnexpected(v)
	}
	if s := infinity("DATE", d); s != 0 {
		return appendInfinity(buf, s), nil
	}
	buf, bc := appendYMD(buf, d)
	if bc {
		buf = append(buf, " BC"...)
	}
	return buf, nil
}

func appendTimestampText(buf []byte, t Type, v any, opt Options) ([]byte, error) {
	ts, ok := v.(time.Time)
	if !ok {
		return nil, errUnexpected(v)
	}
	if s := infinity(t.DuckDB, ts); s != 0 {
		return appendInfinity(buf, s), nil
	}
	tz := t.OID == OIDTimestamptz
	if tz {
		loc := opt.Location
		if loc == nil {
			loc = time.UTC
		}
		ts = ts.In(loc)
	}
	buf, bc := appendYMD(buf, ts)
	buf = append(buf, ' ')
	buf = appendClock(buf, int64(ts.Hour()), int64(ts.Minute()), int64(ts.Second()), int64(ts.Nanosecond()/1000))
	if tz {
		_, off := ts.Zone()
		buf = appendZone(buf, off)
	}
	if bc {
		buf = append(buf, " BC"...)
	}
	return buf, nil
}

func appendTimeText(buf []byte, t Type, v any) ([]byte, error) {
	ts, ok := v.(time.Time)
	if !ok {
		return nil, errUnexpected(v)
	}
	buf = appendClock(buf, int64(ts.Hour()), int64(ts.Minute()), int64(ts.Second()), int64(ts.Nanosecond()/1000))
	if t.OID == OIDTimetz {
		_, off := ts.Zone()
		buf = appendZone(buf, off)
	}
	return buf, nil
}

// appendIntervalText appends iv in IntervalStyle postgres, as PostgreSQL's
// EncodeInterval: "1 year 2 mons 3 days 04:05:06.5", "-1 days", "00:00:00".
func appendIntervalText(buf []byte, iv duckdb.Interval) []byte {
	year := int64(iv.Months / 12)
	mon := int64(iv.Months % 12)
	day := int64(iv.Days)
	micros := iv.Micros
	hour := micros / 3600000000
	micros -= hour * 3600000000
	min := micros / 60000000
	micros -= min * 60000000
	sec := micros / 1000000
	fsec := micros - sec*1000000

	isZero, isBefore := true, false
	part := func(value int64, unit string) {
		if value == 0 {
			return
		}
		if !isZero {
			buf = append(buf, ' ')
		}
		if isBefore && value > 0 {
			buf = append(buf, '+')
		}
		buf = strconv.AppendInt(buf, value, 10)
		buf = append(buf, ' ')
		buf = append(buf, unit...)
		if value != 1 {
			buf = append(buf, 's')
		}
		isBefore = value < 0
		isZero = false
	}
	part(year, "year")
	part(mon, "mon")
	part(day, "day")
	if isZero || hour != 0 || min != 0 || sec != 0 || fsec != 0 {
		minus := hour < 0 || min < 0 || sec < 0 || fsec < 0
		if !isZero {
			buf = append(buf, ' ')
		}
		if minus {
			buf = append(buf, '-')
		} else if isBefore {
			buf = append(buf, '+')
		}
		buf = appendClock(buf, abs64(hour), abs64(min), abs64(sec), abs64(fsec))
	}
	return buf
}

func abs64(n int64) int64 {
	if n < 0 {
		return -n
	}
	return n
}
