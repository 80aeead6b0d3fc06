package wisp

import (
	"context"
	"io"
	"maps"
	"slices"
)

// OpenBlob returns a reader of a stored blob (a module or file bundle)
// and its size, for the admin API's download (the dashboard's
// playground runs an app's module in the browser). The caller closes
// the reader. Errors: ErrInvalid for a malformed digest, ErrNotFound.
func (n *Node) OpenBlob(ctx context.Context, digest string) (io.ReadCloser, BlobInfo, error) {
	if err := ValidateDigest(digest); err != nil {
		return nil, BlobInfo{}, err
	}
	info, err := n.store.StatBlob(ctx, digest)
	if err != nil {
		return nil, BlobInfo{}, err
	}
	rc, err := n.store.OpenBlob(ctx, digest)
	if err != nil {
		return nil, BlobInfo{}, err
	}
	return rc, info, nil
}

// Spec returns the spec of the version the target resolves to (Limits
// with defaults filled in).
func (t Target) Spec() AppSpec { return t.d.version.Spec }

// Environ returns the environment the target's instance sees when
// invoked with call as Input.Env: the app's [env] sorted by name, less
// the names call sets, then call, in this order, as the engine lays it
// out. The playground gives a browser the same.
func (t Target) Environ(call []string) []string {
	env := t.d.version.Spec.Env
	base := make([]string, 0, len(env))
	for _, k := range slices.Sorted(maps.Keys(env)) {
		base = append(base, k+"="+env[k])
	}
	return mergeEnv(base, call)
}

// Budgets are the node's configured caps, beside what Stats says is used.
type Budgets struct {
	MaxInstances int      `json:"max_instances"` // instances at once across apps; 0: no cap
	MemoryBudget ByteSize `json:"memory_budget"` // memory of instances and requests; 0: none
	CodeCache    ByteSize `json:"code_cache"`    // compiled code kept in memory; 0: no limit
}

// Budgets returns the node's caps (Config.MaxInstances, MemoryBudget and
// CodeCache, defaults applied).
func (n *Node) Budgets() Budgets {
	code := n.cfg.CodeCache
	switch {
	case code == 0:
		code = DefaultCodeCache
	case code < 0:
		code = 0
	}
	return Budgets{MaxInstances: int(n.admission.maxInstances), MemoryBudget: ByteSize(n.admission.budget), CodeCache: ByteSize(code)}
}
