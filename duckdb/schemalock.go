package duckdb

import (
	"context"
	"sync"
)

// schemaLock orders a group's writes and schema changes. A write holds it
// shared from checking its rows against the constraints to storing them; a
// schema change (ALTER FEATURE, RENAME FEATURE...) holds it exclusively. So
// SET CHECK validates the stored rows with no write between its check and
// its commit, and a write that waited checks its rows against the new
// constraints. A waiting schema change keeps new writes out, so a stream of
// writes cannot starve it. Waits end with their context.
type schemaLock struct {
	mu      sync.Mutex
	readers int
	writer  bool
	waiting int           // schema changes waiting
	changed chan struct{} // closed (and replaced) on every release
}

func (e *Engine) schemaLock(id int64) *schemaLock {
	l, ok := e.schemaLocks.Load(id)
	if !ok {
		l, _ = e.schemaLocks.LoadOrStore(id, &schemaLock{changed: make(chan struct{})})
	}
	return l.(*schemaLock)
}

// wake tells waiters the state changed; l.mu is held.
func (l *schemaLock) wake() {
	close(l.changed)
	l.changed = make(chan struct{})
}

func (l *schemaLock) rlock(ctx context.Context) (func(), error) {
	return l.rlockQueued(ctx, true)
}

// rlockQueued is rlock; with queued false it passes a schema change that
// is only waiting (not one under way): a transaction that holds other
// groups' locks must not wait behind a change that waits for another
// transaction, or two transactions and two changes could wait in a ring.
func (l *schemaLock) rlockQueued(ctx context.Context, queued bool) (func(), error) {
	l.mu.Lock()
	for l.writer || queued && l.waiting > 0 {
		ch := l.changed
		l.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return nil, TranslateError(ctx.Err())
		}
		l.mu.Lock()
	}
	l.readers++
	l.mu.Unlock()
	return func() {
		l.mu.Lock()
		l.readers--
		l.wake()
		l.mu.Unlock()
	}, nil
}

func (l *schemaLock) lock(ctx context.Context) (func(), error) {
	l.mu.Lock()
	l.waiting++
	for l.writer || l.readers > 0 {
		ch := l.changed
		l.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			l.mu.Lock()
			l.waiting--
			l.wake()
			l.mu.Unlock()
			return nil, TranslateError(ctx.Err())
		}
		l.mu.Lock()
	}
	l.waiting--
	l.writer = true
	l.mu.Unlock()
	return func() {
		l.mu.Lock()
		l.writer = false
		l.wake()
		l.mu.Unlock()
	}, nil
}

// LockSchema holds the group's writes off (waiting for those under way to
// store their rows) until the returned function is called.
func (e *Engine) LockSchema(ctx context.Context, id int64) (func(), error) {
	return e.schemaLock(id).lock(ctx)
}

// holdSchema takes the group's schema lock shared for the rest of the
// session's transaction (once per group): a schema change that validates
// stored rows (SET CHECK) then waits for open transactions that wrote the
// group to end, as PostgreSQL's ALTER TABLE waits for their locks, instead
// of racing their COMMIT. ReleaseSchemaLocks ends it.
func (c *Conn) holdSchema(ctx context.Context, id int64) error {
	if _, ok := c.heldSchema[id]; ok {
		return nil
	}
	unlock, err := c.engine.schemaLock(id).rlockQueued(ctx, len(c.heldSchema) == 0)
	if err != nil {
		return err
	}
	if c.heldSchema == nil {
		c.heldSchema = map[int64]func(){}
	}
	c.heldSchema[id] = unlock
	return nil
}

// HoldsSchemaLocks reports whether the session's transaction holds any.
func (c *Conn) HoldsSchemaLocks() bool { return len(c.heldSchema) > 0 }

// ReleaseSchemaLocks ends the schema locks the session's transaction
// holds; the session calls it once its COMMIT or ROLLBACK ran.
func (c *Conn) ReleaseSchemaLocks() {
	for id, unlock := range c.heldSchema {
		unlock()
		delete(c.heldSchema, id)
	}
}
