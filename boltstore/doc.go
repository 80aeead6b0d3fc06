// Package boltstore is Wisp's embedded default [wisp.Store]: app records in
// a bbolt database and blobs as plain files, all under one data directory.
//
// # On-disk layout
//
//	DIR/
//	  wisp.db                     bbolt database, locked while open
//	    bucket "apps"             key: app name; value: a JSON record
//	                              {"format": 1, "app": {...wisp.App...}}
//	    bucket "kv"               key-value stores, a bucket each (see [Store.KV])
//	  blobs/
//	    sha256/
//	      ab/                     first two hex digits of the digest,
//	                              made when the first such blob is put
//	        ab12...ef             the blob: 64 hex digits, raw content
//	    tmp/                      uploads in progress; emptied by Open
//
// Blob files are never changed once in place: a blob's name is the sha256
// of its content, so storing the same content again finds the file there
// and keeps it. Nothing deletes blobs (there is no garbage collection yet).
//
// # Records and revisions
//
// A record's revision comes from the "apps" bucket's sequence, which every
// PutApp advances in the same transaction that writes the record. Revisions
// therefore only grow, across all apps and across restarts, and a name that
// is deleted and created again never gets back a revision it had before.
// The "format" field versions the record encoding: this package reads
// format 1 and refuses, naming the app, a record it cannot read.
//
// # Durability
//
// PutBlob streams the upload to a file in blobs/tmp while hashing it,
// fsyncs it, renames it into place and fsyncs the directory before it
// returns. PutApp and DeleteApp return after bbolt's commit, which fsyncs.
// A crash at any point leaves either the old state or the new one, plus at
// most some files in blobs/tmp, which the next Open removes.
//
// # Locking
//
// Only one Store may have a directory open at a time, in any process: Open
// takes bbolt's exclusive file lock on wisp.db and fails with an error
// wrapping [ErrLocked] if it cannot get it within the lock timeout (see
// [WithLockTimeout]).
package boltstore
