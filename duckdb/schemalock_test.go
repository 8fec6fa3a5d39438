package duckdb

import (
	"context"
	"testing"
	"time"
)

// TestSchemaLock: writes share the lock; a schema change waits for the
// writes under way and keeps new ones out until it is done; every wait
// ends with its context.
func TestSchemaLock(t *testing.T) {
	ctx := context.Background()
	l := &schemaLock{changed: make(chan struct{})}
	r1, err := l.rlock(ctx)
	if err != nil {
		t.Fatal(err)
	}
	r2, err := l.rlock(ctx)
	if err != nil {
		t.Fatal(err)
	}

	locked := make(chan func())
	go func() {
		w, err := l.lock(ctx)
		if err != nil {
			t.Error(err)
		}
		locked <- w
	}()
	// A write arriving while the change waits waits too.
	short, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	time.Sleep(20 * time.Millisecond)
	if _, err := l.rlock(short); err == nil {
		t.Fatal("a write got the lock while a schema change waited")
	}
	r1()
	select {
	case <-locked:
		t.Fatal("the schema change got the lock while a write held it")
	case <-time.After(50 * time.Millisecond):
	}
	r2()
	var w func()
	select {
	case w = <-locked:
	case <-time.After(5 * time.Second):
		t.Fatal("the schema change did not get the lock once the writes were done")
	}
	short2, cancel2 := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel2()
	if _, err := l.lock(short2); err == nil {
		t.Fatal("two schema changes held the lock")
	}
	got := make(chan struct{})
	go func() {
		r, err := l.rlock(ctx)
		if err == nil {
			r()
		}
		close(got)
	}()
	time.Sleep(20 * time.Millisecond)
	w()
	select {
	case <-got:
	case <-time.After(5 * time.Second):
		t.Fatal("a write did not get the lock after the schema change")
	}
	// A schema change that gave up does not keep writes out.
	r3, err := l.rlock(ctx)
	if err != nil {
		t.Fatal(err)
	}
	short3, cancel3 := context.WithTimeout(ctx, 30*time.Millisecond)
	defer cancel3()
	if _, err := l.lock(short3); err == nil {
		t.Fatal("a schema change got the lock while a write held it")
	}
	r4, err := l.rlock(ctx)
	if err != nil {
		t.Fatalf("a write after an abandoned schema change: %v", err)
	}
	r3()
	r4()
}
