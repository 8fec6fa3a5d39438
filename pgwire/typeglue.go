package pgwire

import "github.com/featurehouse/featurehouse/sql/types"

// The only calls into sql/types' value codecs, kept in one place.

func appendText(buf []byte, t types.Type, v any, opt types.Options) ([]byte, error) {
	return types.AppendText(buf, t, v, opt)
}

func appendBinary(buf []byte, t types.Type, v any, opt types.Options) ([]byte, error) {
	return types.AppendBinary(buf, t, v, opt)
}

func encoderFor(t types.Type, binary bool) types.EncodeFunc { return types.Encoder(t, binary) }

func supportsBinary(t types.Type) bool { return types.SupportsBinary(t) }

func decodeParam(oid uint32, format int16, data []byte) (any, error) {
	return types.DecodeParam(oid, format, data)
}
