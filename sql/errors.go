package sql

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/pganalyze/pg_query_go/v6/parser"

	"github.com/featurehouse/featurehouse/sql/pgerror"
)

// charCount is the number of characters in s (the text is valid UTF-8 by
// the time positions are computed).
func charCount(s string) int { return utf8.RuneCountInString(s) }

// charPos is the 1-based character position of byte offset off in text.
func charPos(text string, off int) int {
	off = max(0, min(off, len(text)))
	return charCount(text[:off]) + 1
}

// byteOffset is the byte offset of the 1-based character position pos in
// text (len(text) when pos is past the end).
func byteOffset(text string, pos int) int {
	n := 1
	for i := range text {
		if n == pos {
			return i
		}
		n++
	}
	return len(text)
}

// syntaxError is PostgreSQL's message for an unexpected token.
func syntaxError(text string, t *token) *pgerror.Error {
	return pgerror.New(pgerror.SyntaxError, "syntax error at or near \"%s\"", t.text).
		WithPosition(charPos(text, t.start))
}

// endOfInputError is PostgreSQL's message when the text ends too early.
func endOfInputError(text string) *pgerror.Error {
	return pgerror.New(pgerror.SyntaxError, "syntax error at end of input").
		WithPosition(charCount(text) + 1)
}

// fragmentError converts the error pg_query reported for a wrapper string
// prefix+frag+suffix, where frag is text[off:off+len(frag)], into an error
// positioned in text. An error past the fragment (in the suffix, or at the
// end of the wrapper) is reported at next, the token that follows the
// fragment in text (nil: the end of the input).
func fragmentError(text string, err error, prefix string, frag string, off int, next *token) *pgerror.Error {
	pe, ok := err.(*parser.Error)
	if !ok {
		return pgerror.Wrap(err)
	}
	wrapper := prefix + frag
	if pe.Cursorpos > 0 {
		b := byteOffset(wrapper, pe.Cursorpos) // len(wrapper) when in the suffix
		if b >= len(prefix) && b < len(wrapper) && !strings.Contains(pe.Message, "at end of input") {
			e := pgerror.New(codeForMessage(pe.Message), "%s", pe.Message)
			return e.WithPosition(charPos(text, off+b-len(prefix)))
		}
		if b >= len(wrapper) || strings.Contains(pe.Message, "at end of input") {
			if next == nil {
				return endOfInputError(text)
			}
			return syntaxError(text, next)
		}
	}
	// Before the fragment: something in the wrapper itself was refused.
	e := pgerror.New(codeForMessage(pe.Message), "%s", pe.Message)
	return e.WithPosition(charPos(text, off))
}

// codeForMessage gives the SQLSTATE of a message from PostgreSQL's scanner
// or grammar: pg_query reports only the text. Nearly all are 42601.
func codeForMessage(msg string) string {
	for _, m := range messageCodes {
		if strings.Contains(msg, m.fragment) {
			return m.code
		}
	}
	return pgerror.SyntaxError
}

var messageCodes = []struct{ fragment, code string }{
	{"not yet implemented", pgerror.FeatureNotSupported},
	{"not implemented", pgerror.FeatureNotSupported},
	{"no longer supported", pgerror.FeatureNotSupported},
	{"is not supported", pgerror.FeatureNotSupported},
	{"not supported on recursive views", pgerror.FeatureNotSupported},
	{"cannot be marked", pgerror.FeatureNotSupported},
	{"is only supported for", pgerror.FeatureNotSupported},
	{"aggregates cannot have output arguments", pgerror.FeatureNotSupported},
	{"current database cannot be changed", pgerror.FeatureNotSupported},
	{"only string constants are supported", pgerror.FeatureNotSupported},
	{"unsafe use of string constant with Unicode escapes", pgerror.FeatureNotSupported},
	{"precision for type float", pgerror.InvalidParameterValue},
	{"column number must be in range", pgerror.InvalidParameterValue},
	{"unrecognized JSON encoding", pgerror.InvalidParameterValue},
	{"unrecognized partitioning strategy", pgerror.InvalidParameterValue},
	{"provided more than once", pgerror.DuplicateObject},
	{"cannot be used as a role name", "42939"},
	{"role name \"", "42939"},
	{"frame end cannot be", "42P20"},
	{"frame start cannot be", "42P20"},
	{"frame starting from", "42P20"},
	{"invalid Unicode escape", pgerror.InvalidEscapeSequence},
	{"unsafe use of \\' in a string literal", "22P06"},
}

// internalError is what a bug inside the parser becomes at the boundary.
func internalError(r any) *pgerror.Error {
	return pgerror.New(pgerror.InternalError, "internal error while parsing: %s", fmt.Sprint(r))
}

// checkEncoding refuses what PostgreSQL refuses before parsing: NUL bytes
// and invalid UTF-8.
func checkEncoding(text string) *pgerror.Error {
	for i := 0; i < len(text); {
		r, n := utf8.DecodeRuneInString(text[i:])
		if r == 0 || (r == utf8.RuneError && n <= 1) {
			end := min(len(text), i+2)
			var b strings.Builder
			for j := i; j < end; j++ {
				if j > i {
					b.WriteByte(' ')
				}
				fmt.Fprintf(&b, "0x%02x", text[j])
			}
			if r == 0 {
				b.Reset()
				b.WriteString("0x00")
			}
			return pgerror.New(pgerror.CharacterNotInRepertoire, "invalid byte sequence for encoding \"UTF8\": %s", b.String())
		}
		i += n
	}
	return nil
}
