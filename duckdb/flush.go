package duckdb

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// StartFlusher starts the background flusher; Close stops it.
func (e *Engine) StartFlusher() {
	e.flushers.Add(1)
	go func() {
		defer e.flushers.Done()
		t := time.NewTicker(e.cfg.FlushInterval)
		defer t.Stop()
		for {
			select {
			case <-e.stop:
				return
			case <-t.C:
			case <-e.flushNow:
			}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
			if err := e.FlushAll(ctx, false); err != nil {
				e.log.Warn("flush failed", "err", err)
			}
			if err := e.CompactAll(ctx); err != nil {
				e.log.Warn("compaction failed", "err", err)
			}
			cancel()
		}
	}()
}

// FlushAll flushes every group whose unflushed rows are many or old enough
// (all of them when force).
func (e *Engine) FlushAll(ctx context.Context, force bool) error {
	var errs []error
	e.layouts.Range(func(_, v any) bool {
		g := v.(GroupLayout)
		if err := e.FlushGroup(ctx, &g, force); err != nil {
			errs = append(errs, fmt.Errorf("flush %s.%s: %w", g.Schema, g.Name, err))
		}
		return ctx.Err() == nil
	})
	return errors.Join(errs...)
}

// FlushGroup moves a group's unflushed rows into Parquet when they are many
// or old enough, or when force.
func (e *Engine) FlushGroup(ctx context.Context, g *GroupLayout, force bool) error {
	c, err := e.Connect(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	var cnt, oldest any
	if _, err := c.QueryRow(ctx, "SELECT count(*), min("+WrittenAtColumn+") FROM "+g.UnflushedTable(), nil, &cnt, &oldest); err != nil {
		return err
	}
	n, _ := cnt.(int64)
	if n == 0 {
		return nil
	}
	e.resetUnflushed(g.ID)
	old, _ := oldest.(time.Time)
	if !force && n < e.cfg.FlushRows && time.Since(old) < e.cfg.FlushAge {
		return nil
	}
	// writeParquet reads the unflushed rows through the layout registered
	// once it holds the group's lock: a schema change may have come in.
	return e.writeParquet(ctx, c, g, "", false)
}

// CollectGarbage removes Parquet files under offline/ that no manifest row
// and no snapshot names: files of writes that crashed before their
// manifest commit.
func (e *Engine) CollectGarbage(ctx context.Context) (int, error) {
	c, err := e.Connect(ctx)
	if err != nil {
		return 0, err
	}
	defer c.Close()
	rows, err := c.Query(ctx, "SELECT path FROM feature_store.files UNION ALL SELECT path FROM feature_store.snapshot_files")
	if err != nil {
		return 0, err
	}
	known := map[string]bool{}
	for {
		row, err := rows.Next()
		if err != nil {
			break
		}
		if p, ok := row[0].(string); ok {
			known[filepath.Clean(p)] = true
		}
	}
	rows.Close()
	removed := 0
	root := filepath.Join(e.cfg.DataDir, "offline")
	err = filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".parquet") {
			return nil
		}
		rel, rerr := filepath.Rel(e.cfg.DataDir, path)
		if rerr != nil || known[rel] {
			return nil
		}
		if os.Remove(path) == nil {
			removed++
		}
		return nil
	})
	return removed, err
}
