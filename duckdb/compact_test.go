package duckdb

import "testing"

// TestSizeTier: k for minFiles^k <= rows < minFiles^(k+1), without overflow.
func TestSizeTier(t *testing.T) {
	for _, tc := range []struct {
		rows  int64
		m, ok int
	}{{0, 8, 0}, {7, 8, 0}, {8, 8, 1}, {63, 8, 1}, {64, 8, 2}, {100_000, 8, 5}, {1 << 62, 1000, 6}, {3, 3, 1}, {9, 3, 2}, {26, 3, 2}} {
		if got := sizeTier(tc.rows, tc.m); got != tc.ok {
			t.Errorf("sizeTier(%d, %d) = %d, want %d", tc.rows, tc.m, got, tc.ok)
		}
	}
}
