package host

import (
	"encoding/json"
	"math"
	"sort"
	"strconv"
	"time"

	"github.com/chelseru/chelseru/sdk/jsonlite"
)

// This file writes response bodies by appending to a reused buffer, in the
// form DRF's JSONRenderer produces: compact separators and non-ASCII text
// left unescaped.

// appendAny appends a client-facing value of an error's Extra map. The types
// the domain uses are written directly; anything else goes through
// encoding/json, and a value that cannot be encoded is written as null.
func appendAny(b []byte, v any) []byte {
	switch x := v.(type) {
	case nil:
		return append(b, "null"...)
	case string:
		return jsonlite.AppendString(b, x)
	case bool:
		return strconv.AppendBool(b, x)
	case int:
		return strconv.AppendInt(b, int64(x), 10)
	case int64:
		return strconv.AppendInt(b, x, 10)
	case int32:
		return strconv.AppendInt(b, int64(x), 10)
	case uint64:
		return strconv.AppendUint(b, x, 10)
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return append(b, "null"...)
		}
		return strconv.AppendFloat(b, x, 'g', -1, 64)
	case []string:
		b = append(b, '[')
		for i, s := range x {
			if i > 0 {
				b = append(b, ',')
			}
			b = jsonlite.AppendString(b, s)
		}
		return append(b, ']')
	default:
		j, err := json.Marshal(x)
		if err != nil {
			return append(b, "null"...)
		}
		return append(b, j...)
	}
}

// appendFields appends DRF's validation-error body, {"field": ["msg", ...]},
// with the fields in name order so the output is deterministic.
func appendFields(b []byte, fields map[string][]string) []byte {
	var small [8]string
	names := small[:0]
	for k := range fields {
		names = append(names, k)
	}
	sort.Strings(names)
	b = append(b, '{')
	for i, k := range names {
		if i > 0 {
			b = append(b, ',')
		}
		b = jsonlite.AppendString(b, k)
		b = append(b, ':')
		b = appendAny(b, fields[k])
	}
	return append(b, '}')
}

// appendTime appends t as DRF's DateTimeField renders it: ISO 8601 in UTC
// with microseconds and a Z.
func appendTime(b []byte, t time.Time) []byte {
	b = append(b, '"')
	b = t.UTC().AppendFormat(b, "2006-01-02T15:04:05.000000Z07:00")
	return append(b, '"')
}
