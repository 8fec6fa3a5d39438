package main

import (
	"bufio"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"time"
)

// genVersion changes whenever the generated data would change, so a cached
// CSV from another version is regenerated.
const genVersion = "b5-v1"

// The data is a feature group's event log: rows in event-time order (with
// jitter) over 100 days, entities drawn at random, three features.
//
//	user_id     text         u0000000 .. (one per 100 rows, at least 1000)
//	event_time  timestamptz  2024-01-01 onward, microseconds, +00
//	f1          float8       normal(0, 10), 4 decimals, 1% NULL
//	f2          int4         uniform [0, 1000000)
//	f3          text         one of 200 categories, 2% NULL
const csvColumns = "user_id, event_time, f1, f2, f3"

// duckdbColumns is read_csv's columns = {...} for the file.
const duckdbColumns = `{'user_id': 'VARCHAR', 'event_time': 'TIMESTAMPTZ', 'f1': 'DOUBLE', 'f2': 'INTEGER', 'f3': 'VARCHAR'}`

func genMain(args []string) error {
	fs := flag.NewFlagSet("gen", flag.ContinueOnError)
	scale := fs.Int64("scale", 1_000_000, "rows")
	out := fs.String("out", "data.csv", "output CSV")
	if err := fs.Parse(args); err != nil {
		return err
	}
	_, err := ensureCSV(*out, *scale)
	return err
}

// ensureCSV writes the deterministic CSV of n rows to path unless a
// matching one is already there; it reports whether it generated it.
func ensureCSV(path string, n int64) (bool, error) {
	marker := path + ".ok"
	want := fmt.Sprintf("%s rows=%d\n", genVersion, n)
	if b, err := os.ReadFile(marker); err == nil && string(b) == want {
		if _, err := os.Stat(path); err == nil {
			return false, nil
		}
	}
	_ = os.Remove(marker)
	if err := writeCSV(path, n); err != nil {
		return true, err
	}
	return true, os.WriteFile(marker, []byte(want), 0o644)
}

func writeCSV(path string, n int64) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 4<<20)
	rng := rand.New(rand.NewPCG(20240101, 5))
	users := n / 100
	if users < 1000 {
		users = 1000
	}
	base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	span := int64(100 * 24 * time.Hour / time.Microsecond)
	step := span / n
	if step < 1 {
		step = 1
	}
	cats := make([]string, 200)
	for i := range cats {
		cats[i] = fmt.Sprintf("cat_%03d", i)
	}
	line := make([]byte, 0, 128)
	for i := int64(0); i < n; i++ {
		line = line[:0]
		line = append(line, 'u')
		line = appendPadded(line, rng.Int64N(users), 7)
		line = append(line, ',')
		us := i*step + rng.Int64N(step*4+1)
		ts := base.Add(time.Duration(us) * time.Microsecond)
		line = ts.AppendFormat(line, "2006-01-02 15:04:05.000000")
		line = append(line, "+00,"...)
		if rng.IntN(100) != 0 {
			line = strconv.AppendFloat(line, rng.NormFloat64()*10, 'f', 4, 64)
		}
		line = append(line, ',')
		line = strconv.AppendInt(line, rng.Int64N(1_000_000), 10)
		line = append(line, ',')
		if rng.IntN(50) != 0 {
			line = append(line, cats[rng.IntN(len(cats))]...)
		}
		line = append(line, '\n')
		if _, err := w.Write(line); err != nil {
			f.Close()
			return err
		}
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func appendPadded(b []byte, v int64, width int) []byte {
	s := strconv.FormatInt(v, 10)
	if len(s) < width {
		b = append(b, strings.Repeat("0", width-len(s))...)
	}
	return append(b, s...)
}
