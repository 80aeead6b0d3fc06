package wisp

import (
	"fmt"
	"maps"
	"path"
	"regexp"
	"slices"
	"strings"
	"time"
)

// AppSpec is what a deploy asks for: everything that defines one immutable
// version of an app. Module and file bundles are referred to by the digest
// of a blob already uploaded with [Node.PutBlob]. The JSON form is the
// admin API's wire format.
type AppSpec struct {
	Name   string            `json:"name"`
	Module string            `json:"module"` // "sha256:<64 hex>"
	Routes []Route           `json:"routes"`
	Env    map[string]string `json:"env,omitempty"`
	Files  []FileMount       `json:"files,omitempty"`
	Limits Limits            `json:"limits"`
	// KeyValueStores names the key-value stores the app may open (see
	// KV); apps naming the same store share it.
	KeyValueStores []string `json:"key_value_stores,omitempty"`
	// AllowedOutboundHosts are the URL patterns the app may call
	// ("https://api.example.com", "http://127.0.0.1:8080",
	// "https://*.example.com:*"; docs/outbound.md). Empty: no outbound
	// requests.
	AllowedOutboundHosts []string `json:"allowed_outbound_hosts,omitempty"`
	// Variables declares the variables the app reads; their values are
	// set at run time (Node.SetVariable) and are not part of the version.
	Variables map[string]Variable `json:"variables,omitempty"`
}

// Variable declares one of an app's variables. A secret's value is
// encrypted at rest and never shown; a required one must have a value
// before the app may be deployed; a default is used while none is set.
type Variable struct {
	Default  *string `json:"default,omitempty"`
	Required bool    `json:"required,omitempty"`
	Secret   bool    `json:"secret,omitempty"`
}

// FileMount mounts a bundle of static files read-only at a guest path. A
// bundle is a tar archive of regular files and directories (see
// internal/bundle) uploaded as a blob.
type FileMount struct {
	Mount  string `json:"mount"`  // absolute guest path, such as "/static"
	Bundle string `json:"bundle"` // digest of the tar blob
}

// Version is one immutable deployed version of an app.
type Version struct {
	Number    int       `json:"number"` // 1, 2, 3... in deploy order
	Spec      AppSpec   `json:"spec"`   // Limits has defaults filled in
	CreatedAt time.Time `json:"created_at"`
	// World is the world its module targets, recorded when the version
	// was first compiled (nil for versions deployed before Wisp recorded
	// it).
	World *World `json:"world,omitempty"`
}

// App is an app's stored record: every version it ever had and which one
// serves traffic.
type App struct {
	Name     string    `json:"name"`
	Current  int       `json:"current"`  // number of the version that serves traffic
	Versions []Version `json:"versions"` // oldest first; numbers increase
	// Revision is the store's revision of this record, used for
	// compare-and-swap. Zero means "not stored yet".
	Revision uint64 `json:"revision"`
}

// Version returns the version with the given number.
func (a App) Version(n int) (Version, bool) {
	for _, v := range a.Versions {
		if v.Number == n {
			return v, true
		}
	}
	return Version{}, false
}

// CurrentVersion returns the version that serves traffic.
func (a App) CurrentVersion() Version {
	v, _ := a.Version(a.Current)
	return v
}

var (
	appNameRE = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)
	digestRE  = regexp.MustCompile(`^sha256:[0-9a-f]{64}$`)
	envKeyRE  = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
)

// ValidateAppName reports whether name is a valid app name: 1 to 63 lower
// case letters, digits and '-', starting and ending with a letter or digit
// (a DNS label, so names work in host names and URLs).
func ValidateAppName(name string) error {
	if !appNameRE.MatchString(name) {
		return errorf(ErrInvalid, "app name %q: use 1-63 lower case letters, digits and '-', starting and ending with a letter or digit", name)
	}
	return nil
}

// ValidateDigest reports whether d is a blob digest of the form "sha256:<64 hex>".
func ValidateDigest(d string) error {
	if !digestRE.MatchString(d) {
		return errorf(ErrInvalid, "digest %q: expected \"sha256:\" followed by 64 lower case hex digits", d)
	}
	return nil
}

// ValidEnvKey reports whether k may name an app's environment variable:
// letters, digits and '_', not starting with a digit.
func ValidEnvKey(k string) bool { return envKeyRE.MatchString(k) }

// Validate checks every field of the spec and returns the first problem,
// wrapping [ErrInvalid]. It does not check that blobs exist.
func (s AppSpec) Validate() error {
	if err := ValidateAppName(s.Name); err != nil {
		return err
	}
	if err := ValidateDigest(s.Module); err != nil {
		return fmt.Errorf("module: %w", err)
	}
	// No routes is valid: an app only invoked by name (Node.InvokeApp)
	// speaks no HTTP.
	seen := map[Route]bool{}
	for _, r := range s.Routes {
		if _, err := ParseRoute(r.String()); err != nil || r.Path == "" {
			return errorf(ErrInvalid, "route %q is not valid", r.String())
		}
		if seen[r] {
			return errorf(ErrInvalid, "route %q is listed twice", r)
		}
		seen[r] = true
	}
	for k, v := range s.Env {
		if !envKeyRE.MatchString(k) {
			return errorf(ErrInvalid, "env key %q: use letters, digits and '_', not starting with a digit", k)
		}
		if strings.ContainsRune(v, 0) {
			return errorf(ErrInvalid, "env %s contains a NUL byte", k)
		}
	}
	mounts := map[string]bool{}
	for _, f := range s.Files {
		if !path.IsAbs(f.Mount) || path.Clean(f.Mount) != f.Mount || f.Mount == "/" {
			return errorf(ErrInvalid, "file mount %q must be a clean absolute guest path other than \"/\", like \"/static\"", f.Mount)
		}
		if mounts[f.Mount] {
			return errorf(ErrInvalid, "file mount %q is listed twice", f.Mount)
		}
		mounts[f.Mount] = true
		if err := ValidateDigest(f.Bundle); err != nil {
			return fmt.Errorf("files %s: %w", f.Mount, err)
		}
	}
	if err := s.validateServices(); err != nil {
		return err
	}
	return s.Limits.Validate()
}

var variableNameRE = regexp.MustCompile(`^[a-z][a-z0-9_]{0,62}$`)

// ValidateVariableName reports whether name may name a variable: a lower
// case letter, then up to 62 lower case letters, digits and '_'.
func ValidateVariableName(name string) error {
	if !variableNameRE.MatchString(name) {
		return errorf(ErrInvalid, "variable name %q: use a lower case letter then lower case letters, digits and '_', like \"api_key\"", name)
	}
	return nil
}

// validateServices checks the platform-service declarations.
func (s AppSpec) validateServices() error {
	seen := map[string]bool{}
	for _, st := range s.KeyValueStores {
		if err := ValidateKVStoreName(st); err != nil {
			return fmt.Errorf("key_value_stores: %w", err)
		}
		if seen[st] {
			return errorf(ErrInvalid, "key_value_stores lists %q twice", st)
		}
		seen[st] = true
	}
	if _, err := parseOutbound(s.AllowedOutboundHosts); err != nil {
		return err
	}
	for name, v := range s.Variables {
		if err := ValidateVariableName(name); err != nil {
			return fmt.Errorf("variables: %w", err)
		}
		if v.Required && v.Default != nil {
			return errorf(ErrInvalid, "variable %q is required and has a default: a default makes it optional, so drop one of the two", name)
		}
		if v.Secret && v.Default != nil {
			return errorf(ErrInvalid, "variable %q is secret and has a default: a default would be stored in the version in plain text; set its value with `wisp secret set %s %s` instead", name, s.Name, name)
		}
		if v.Default != nil && strings.ContainsRune(*v.Default, 0) {
			return errorf(ErrInvalid, "variable %q: the default contains a NUL byte", name)
		}
	}
	return nil
}

// sameAs reports whether s and o describe the same version, so a retried
// deploy of the current spec stores nothing new.
func (s AppSpec) sameAs(o AppSpec) bool {
	if s.Name != o.Name || s.Module != o.Module || s.Limits != o.Limits ||
		len(s.Routes) != len(o.Routes) || len(s.Env) != len(o.Env) || len(s.Files) != len(o.Files) ||
		!slices.Equal(s.KeyValueStores, o.KeyValueStores) || !slices.Equal(s.AllowedOutboundHosts, o.AllowedOutboundHosts) ||
		!maps.EqualFunc(s.Variables, o.Variables, Variable.equal) {
		return false
	}
	for i := range s.Routes {
		if s.Routes[i] != o.Routes[i] {
			return false
		}
	}
	for k, v := range s.Env {
		if ov, ok := o.Env[k]; !ok || ov != v {
			return false
		}
	}
	for i := range s.Files {
		if s.Files[i] != o.Files[i] {
			return false
		}
	}
	return true
}

func (v Variable) equal(o Variable) bool {
	if v.Required != o.Required || v.Secret != o.Secret || (v.Default == nil) != (o.Default == nil) {
		return false
	}
	return v.Default == nil || *v.Default == *o.Default
}
