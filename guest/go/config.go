package wisp

import "fmt"

// Var returns the value of the variable name that the app's wisp.toml
// declares under [variables]: the value set at run time (wisp config set
// APP name=VALUE, or for a secret wisp secret set APP name), else its
// default. A new value is seen by the next request, without a new deploy.
// A secret's value is returned in plain text: do not log or echo it.
//
// It fails with ErrNotFound if the variable is declared without a value
// or default, ErrDenied if wisp.toml does not declare it. Call it while
// handling a request, not during a reactor's initialization (it fails
// there with ErrUnavailable). Safe for concurrent use.
func Var(name string) (string, error) { return getVar(defaultHost(), name) }

func getVar(h host, name string) (string, error) {
	v, code := fetchString(func(buf []byte) (int, Code) { return h.configGet(name, buf) })
	if code != CodeOK {
		return "", fail(h, fmt.Sprintf("variable %q", name), code)
	}
	return v, nil
}
