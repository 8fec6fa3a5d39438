package types

import "testing"

func BenchmarkDecodeRowSelect50(b *testing.B) {
	row := []any{"user_1234"}
	for i := 0; i < 51; i++ {
		row = append(row, float64(i)*1.5)
	}
	enc, _ := AppendRow(nil, row)
	want := make([][]int, len(row))
	for i := range want {
		want[i] = []int{i}
	}
	out := make([]any, len(row))
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if err := DecodeRowSelect(enc, want, out); err != nil {
			b.Fatal(err)
		}
	}
}
