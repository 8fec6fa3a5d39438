package types

import (
	"encoding/binary"
	"math"
	"strconv"
	"strings"
)

const (
	numericPos  = 0x0000
	numericNeg  = 0x4000
	numericNaN  = 0xC000
	numericPInf = 0xD000
	numericNInf = 0xF000
)

// appendNumericBinary appends a numeric as PostgreSQL's numeric_send:
// int16 ndigits, int16 weight, uint16 sign, int16 dscale, then ndigits
// base-10000 digits, most significant first, with leading and trailing
// zero digits stripped (zero has no digits and weight 0).
func appendNumericBinary(buf []byte, v any) ([]byte, error) {
	if f, ok := v.(float64); ok {
		switch {
		case math.IsNaN(f):
			return appendNumericHeader(buf, 0, 0, numericNaN, 0), nil
		case math.IsInf(f, 1):
			return appendNumericHeader(buf, 0, 0, numericPInf, 0), nil
		case math.IsInf(f, -1):
			return appendNumericHeader(buf, 0, 0, numericNInf, 0), nil
		}
		v = strconv.FormatFloat(f, 'f', -1, 64)
	}
	if s, ok := v.(string); ok {
		return appendNumericStringBinary(buf, s)
	}
	n, scale, ok := decimalParts(v)
	if !ok {
		return nil, errUnexpected(v)
	}
	sign := uint16(numericPos)
	if n.Sign() < 0 {
		sign = numericNeg
	}
	digits := n.String()
	digits = strings.TrimPrefix(digits, "-")
	if scale < 0 {
		digits += strings.Repeat("0", -scale)
		scale = 0
	}
	for len(digits) <= scale {
		digits = "0" + digits
	}
	cut := len(digits) - scale
	return appendNumericDigits(buf, digits[:cut], digits[cut:], sign, scale), nil
}

// appendNumericStringBinary encodes a plain decimal string ("-12.340").
func appendNumericStringBinary(buf []byte, s string) ([]byte, error) {
	sign := uint16(numericPos)
	switch {
	case strings.EqualFold(s, "NaN"):
		return appendNumericHeader(buf, 0, 0, numericNaN, 0), nil
	case strings.HasPrefix(s, "-"):
		sign = numericNeg
		s = s[1:]
	case strings.HasPrefix(s, "+"):
		s = s[1:]
	}
	ip, fp, _ := strings.Cut(s, ".")
	for _, c := range ip + fp {
		if c < '0' || c > '9' {
			return nil, errUnexpected(s)
		}
	}
	return appendNumericDigits(buf, ip, fp, sign, len(fp)), nil
}

func appendNumericDigits(buf []byte, ip, fp string, sign uint16, dscale int) []byte {
	if r := len(ip) % 4; r != 0 {
		ip = strings.Repeat("0", 4-r) + ip
	}
	if r := len(fp) % 4; r != 0 {
		fp += strings.Repeat("0", 4-r)
	}
	all := ip + fp
	groups := make([]uint16, 0, len(all)/4)
	for i := 0; i < len(all); i += 4 {
		g := uint16(0)
		for _, c := range all[i : i+4] {
			g = g*10 + uint16(c-'0')
		}
		groups = append(groups, g)
	}
	weight := len(ip)/4 - 1
	for len(groups) > 0 && groups[0] == 0 {
		groups = groups[1:]
		weight--
	}
	for len(groups) > 0 && groups[len(groups)-1] == 0 {
		groups = groups[:len(groups)-1]
	}
	if len(groups) == 0 {
		weight = 0
		sign = numericPos
	}
	buf = appendNumericHeader(buf, len(groups), weight, sign, dscale)
	for _, g := range groups {
		buf = binary.BigEndian.AppendUint16(buf, g)
	}
	return buf
}

func appendNumericHeader(buf []byte, ndigits, weight int, sign uint16, dscale int) []byte {
	buf = binary.BigEndian.AppendUint16(buf, uint16(ndigits))
	buf = binary.BigEndian.AppendUint16(buf, uint16(int16(weight)))
	buf = binary.BigEndian.AppendUint16(buf, sign)
	return binary.BigEndian.AppendUint16(buf, uint16(dscale))
}
