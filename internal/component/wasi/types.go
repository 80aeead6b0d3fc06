package wasi

import "github.com/wisphq/wisp/internal/component/canon"

// types holds the named WIT types the interfaces share, built once per
// Interfaces call.
type types struct {
	bytes       *canon.Type // list<u8>
	streamError *canon.Type // wasi:io/streams stream-error
	datetime    *canon.Type // wasi:clocks/wall-clock datetime

	// wasi:filesystem/types
	errorCode, descriptorType, descriptorFlags, pathFlags, openFlags *canon.Type
	descriptorStat, newTimestamp, directoryEntry, advice, hashValue  *canon.Type
}

func newTypes() *types {
	t := &types{bytes: canon.List(canon.U8())}
	t.streamError = canon.Variant(
		canon.Case{Name: "last-operation-failed", Type: canon.Own(Error)},
		canon.Case{Name: "closed"},
	)
	t.datetime = canon.Record(
		canon.Field{Name: "seconds", Type: canon.U64()},
		canon.Field{Name: "nanoseconds", Type: canon.U32()},
	)
	t.descriptorType = canon.Enum("unknown", "block-device", "character-device", "directory",
		"fifo", "symbolic-link", "regular-file", "socket")
	t.descriptorFlags = canon.Flags("read", "write", "file-integrity-sync", "data-integrity-sync",
		"requested-write-sync", "mutate-directory")
	optTime := canon.Option(t.datetime)
	t.descriptorStat = canon.Record(
		canon.Field{Name: "type", Type: t.descriptorType},
		canon.Field{Name: "link-count", Type: canon.U64()},
		canon.Field{Name: "size", Type: canon.U64()},
		canon.Field{Name: "data-access-timestamp", Type: optTime},
		canon.Field{Name: "data-modification-timestamp", Type: optTime},
		canon.Field{Name: "status-change-timestamp", Type: optTime},
	)
	t.pathFlags = canon.Flags("symlink-follow")
	t.openFlags = canon.Flags("create", "directory", "exclusive", "truncate")
	t.newTimestamp = canon.Variant(
		canon.Case{Name: "no-change"},
		canon.Case{Name: "now"},
		canon.Case{Name: "timestamp", Type: t.datetime},
	)
	t.directoryEntry = canon.Record(
		canon.Field{Name: "type", Type: t.descriptorType},
		canon.Field{Name: "name", Type: canon.String()},
	)
	t.errorCode = canon.Enum( // the cases of error-code, in order
		"access", "would-block", "already", "bad-descriptor", "busy", "deadlock", "quota", "exist",
		"file-too-large", "illegal-byte-sequence", "in-progress", "interrupted", "invalid", "io",
		"is-directory", "loop", "too-many-links", "message-size", "name-too-long", "no-device",
		"no-entry", "no-lock", "insufficient-memory", "insufficient-space", "not-directory",
		"not-empty", "not-recoverable", "unsupported", "no-tty", "no-such-device", "overflow",
		"not-permitted", "pipe", "read-only", "invalid-seek", "text-file-busy", "cross-device",
	)
	t.advice = canon.Enum("normal", "sequential", "random", "will-need", "dont-need", "no-reuse")
	t.hashValue = canon.Record(
		canon.Field{Name: "lower", Type: canon.U64()},
		canon.Field{Name: "upper", Type: canon.U64()},
	)
	return t
}
