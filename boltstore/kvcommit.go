package boltstore

import (
	"errors"
	"fmt"
	"slices"
	"sync"

	bolt "go.etcd.io/bbolt"
)

// kvCommitter commits the key-value writes of one KV in groups: a write
// that finds no commit running runs at once, in a transaction of its own;
// writes that arrive while a commit runs wait and then go together in the
// next transaction, one fsync for all of them. A lone writer waits for
// nothing (bolt's DB.Batch would hold every write for its
// MaxBatchDelay), and concurrent writers take bbolt's single writer once
// per group instead of once each, so the app registry's writes on the same
// file wait behind fewer commits.
//
// A write's function runs inside the group's transaction after those
// before it, seeing their changes (quota counters, sequences), and may run
// more than once: a function that fails rolls back its group, which runs
// again without it while it runs alone to get its error. Functions must
// therefore set everything they report afresh on each run, and report
// refusals (a conflict, a full store) through their own variables rather
// than an error, which would cost the group a rollback. A group in which
// no function changed anything is rolled back instead of committed: no
// fsync.
type kvCommitter struct {
	db *bolt.DB

	mu      sync.Mutex
	queue   []*kvCall // waiting for the next group
	running bool      // a group is being committed
}

// kvWrite is a write's part of a group: it reports whether it changed the
// database.
type kvWrite func(tx *bolt.Tx) (changed bool, err error)

type kvCall struct {
	fn   kvWrite
	done chan error // the result; or errLead: run the next group
}

// errLead tells a waiting call that it runs the next group.
var errLead = errors.New("lead the next group")

// do runs fn in a group and returns once the group is committed (or fn
// failed).
func (c *kvCommitter) do(fn kvWrite) error {
	call := &kvCall{fn: fn, done: make(chan error, 1)}
	c.mu.Lock()
	c.queue = append(c.queue, call)
	if c.running {
		c.mu.Unlock()
		if err := <-call.done; err != errLead {
			return err
		}
		c.mu.Lock()
	}
	c.running = true
	group := c.queue
	c.queue = nil
	c.mu.Unlock()

	c.commit(group)

	// Hand the next group to the first call waiting, so no caller commits
	// for others past its own group.
	c.mu.Lock()
	if len(c.queue) > 0 {
		c.queue[0].done <- errLead
	} else {
		c.running = false
	}
	c.mu.Unlock()
	return <-call.done
}

// commit runs the group's functions in one transaction and gives each
// call its result.
func (c *kvCommitter) commit(group []*kvCall) {
	for len(group) > 0 {
		failed := -1
		err := c.run(group, &failed)
		if failed < 0 {
			for _, call := range group {
				call.done <- err
			}
			return
		}
		// One function failed: its error is its own, and the others run
		// again without it.
		call := group[failed]
		group = slices.Delete(group, failed, failed+1)
		call.done <- c.run([]*kvCall{call}, &failed)
	}
}

// run runs the functions in one write transaction, committed if any
// changed something; failed is the index of the one that failed, if one
// did (the transaction is then rolled back).
func (c *kvCommitter) run(calls []*kvCall, failed *int) (err error) {
	*failed = -1
	tx, err := c.db.Begin(true)
	if err != nil {
		return err
	}
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("key-value write panicked: %v", r)
		}
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	changed := false
	for i, call := range calls {
		*failed = i // until it returns: a panic is its failure
		ch, err := call.fn(tx)
		if err != nil {
			return err
		}
		changed = changed || ch
	}
	*failed = -1
	if !changed {
		return tx.Rollback()
	}
	return tx.Commit()
}
