package binary

import (
	"errors"
	"strings"
)

// ExternName is the name of an import or export with its attributes.
// Name is a plain name ("run", "[method]fields.get") or an interface name
// ("wasi:http/incoming-handler@0.2.10"); the attributes are optional.
type ExternName struct {
	Name          string
	Implements    string // the implements attribute, an interface name
	VersionSuffix string // the versionsuffix attribute
	ExternalID    string // the external-id attribute
}

// InterfaceName is an interface name taken apart:
// Namespace:Package/Interface@Version. Nested namespaces and packages
// (a:b:c/d/e) keep their separators inside Package and Interface.
type InterfaceName struct {
	Namespace string
	Package   string
	Interface string
	Version   string // empty when the name has no version
}

// Interface parses n.Name as an interface name; ok is false for a plain
// name. A decoded ExternName always parses when it contains a colon.
func (n ExternName) Interface() (InterfaceName, bool) {
	in, err := parseInterfaceName(n.Name)
	return in, err == nil
}

// String returns the name with its version suffix, if any.
func (n ExternName) String() string {
	return n.Name + n.VersionSuffix
}

// checkExternName validates s as the specification's externname.
func checkExternName(s string) error {
	if strings.Contains(s, ":") {
		_, err := parseInterfaceName(s)
		return err
	}
	return checkPlainName(s)
}

func checkPlainName(s string) error {
	var rest string
	switch {
	case strings.HasPrefix(s, "[constructor]"):
		return checkLabel(s[len("[constructor]"):])
	case strings.HasPrefix(s, "[method]"):
		rest = s[len("[method]"):]
	case strings.HasPrefix(s, "[static]"):
		rest = s[len("[static]"):]
	default:
		return checkLabel(s)
	}
	res, fn, ok := strings.Cut(rest, ".")
	if !ok {
		return errors.New("a [method] or [static] name needs a resource and a function separated by a dot")
	}
	if err := checkLabel(res); err != nil {
		return err
	}
	return checkLabel(fn)
}

// checkLabel validates a kebab-case label: fragments of lowercase words
// or uppercase acronyms joined by '-', the first starting with a letter.
func checkLabel(s string) error {
	if s == "" {
		return errors.New("a label is empty")
	}
	for i, frag := range strings.Split(s, "-") {
		if frag == "" {
			return errors.New("label " + quote(s) + " has an empty fragment")
		}
		lower := frag[0] >= 'a' && frag[0] <= 'z' || frag[0] >= '0' && frag[0] <= '9'
		if i == 0 && (frag[0] >= '0' && frag[0] <= '9') {
			return errors.New("label " + quote(s) + " starts with a digit")
		}
		for j := 0; j < len(frag); j++ {
			c := frag[j]
			digit := c >= '0' && c <= '9'
			if lower && !(digit || c >= 'a' && c <= 'z') || !lower && !(digit || c >= 'A' && c <= 'Z') {
				return errors.New("label " + quote(s) + " mixes cases or has a character outside [a-z0-9-] and [A-Z0-9-]")
			}
		}
	}
	return nil
}

// checkWords validates the words of a namespace or package: lowercase
// words joined by '-'.
func checkWords(s string) error {
	if s == "" {
		return errors.New("a namespace or package name is empty")
	}
	for i, w := range strings.Split(s, "-") {
		if w == "" {
			return errors.New("name " + quote(s) + " has an empty word")
		}
		if i == 0 && !(w[0] >= 'a' && w[0] <= 'z') {
			return errors.New("name " + quote(s) + " must start with a lowercase letter")
		}
		for j := 0; j < len(w); j++ {
			if c := w[j]; !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9') {
				return errors.New("name " + quote(s) + " has a character outside [a-z0-9-]")
			}
		}
	}
	return nil
}

func parseInterfaceName(s string) (InterfaceName, error) {
	var in InterfaceName
	path := s
	if at := strings.IndexByte(s, '@'); at >= 0 {
		path, in.Version = s[:at], s[at+1:]
		if err := checkSemver(in.Version); err != nil && !canonVersion(in.Version) {
			return in, errors.New("interface name " + quote(s) + ": " + err.Error())
		}
	}
	pkg, proj, ok := strings.Cut(path, "/")
	if !ok {
		return in, errors.New("interface name " + quote(s) + " has no /interface after namespace:package")
	}
	parts := strings.Split(pkg, ":")
	if len(parts) < 2 {
		return in, errors.New("interface name " + quote(s) + " has no namespace:package")
	}
	for _, p := range parts {
		if err := checkWords(p); err != nil {
			return in, errors.New("interface name " + quote(s) + ": " + err.Error())
		}
	}
	for _, l := range strings.Split(proj, "/") {
		if err := checkLabel(l); err != nil {
			return in, errors.New("interface name " + quote(s) + ": " + err.Error())
		}
	}
	in.Namespace = parts[0]
	in.Package = strings.Join(parts[1:], ":")
	in.Interface = proj
	return in, nil
}

// checkSemver validates a semantic version (semver.org 2.0.0).
func checkSemver(v string) error {
	core, build, hasBuild := strings.Cut(v, "+")
	core, pre, hasPre := strings.Cut(core, "-")
	nums := strings.Split(core, ".")
	if len(nums) != 3 {
		return errors.New("version " + quote(v) + " is not MAJOR.MINOR.PATCH")
	}
	for _, n := range nums {
		if !numeric(n) {
			return errors.New("version " + quote(v) + " has a part that is not a number without leading zeros")
		}
	}
	if hasPre {
		for _, id := range strings.Split(pre, ".") {
			if !ident(id) || (isDigits(id) && !numeric(id)) {
				return errors.New("version " + quote(v) + " has an invalid pre-release")
			}
		}
	}
	if hasBuild {
		for _, id := range strings.Split(build, ".") {
			if !ident(id) {
				return errors.New("version " + quote(v) + " has invalid build metadata")
			}
		}
	}
	return nil
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

func numeric(s string) bool { return isDigits(s) && (s == "0" || s[0] != '0') }

func ident(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '-') {
			return false
		}
	}
	return true
}

// quote quotes s for a message, cut to a readable length.
func quote(s string) string {
	if len(s) > 80 {
		s = s[:80] + "..."
	}
	return "\"" + strings.ToValidUTF8(s, "?") + "\""
}

// canonVersion reports whether v is a canonical version ("1", "0.2",
// "0.0.3", "0.0.0"), the prefix a versionsuffix attribute completes.
func canonVersion(v string) bool {
	parts := strings.Split(v, ".")
	switch {
	case len(parts) == 1:
		return numeric(parts[0]) && parts[0] != "0"
	case len(parts) == 2:
		return parts[0] == "0" && numeric(parts[1]) && parts[1] != "0"
	case len(parts) == 3:
		return parts[0] == "0" && parts[1] == "0" && numeric(parts[2])
	}
	return false
}
