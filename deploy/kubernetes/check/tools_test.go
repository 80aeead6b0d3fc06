package check

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// Checks that run a tool when it is there: kubectl's kustomize and the
// wisp binary itself.

func TestKustomizeBuild(t *testing.T) {
	// What `kubectl apply -k deploy/kubernetes` would send: every object,
	// each in the kustomization's namespace, each still decoding strictly.
	kubectl, err := exec.LookPath("kubectl")
	if err != nil {
		t.Skip("kubectl is not installed")
	}
	out, err := exec.Command(kubectl, "kustomize", manifestDir).Output()
	if err != nil {
		var stderr []byte
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = ee.Stderr
		}
		t.Fatalf("kubectl kustomize deploy/kubernetes: %v\n%s", err, stderr)
	}
	rendered, err := decodeDocuments("kubectl kustomize output", out)
	if err != nil {
		t.Fatal(err)
	}
	ns := loadKustomization(t).Namespace
	var got, want []string
	for _, o := range rendered {
		got = append(got, o.kind+"/"+o.obj.GetName())
		if o.kind != "Namespace" && o.obj.GetNamespace() != ns {
			t.Errorf("kustomize puts %s/%s in namespace %q, want %q", o.kind, o.obj.GetName(), o.obj.GetNamespace(), ns)
		}
	}
	for _, o := range loadFleet(t).all {
		want = append(want, o.kind+"/"+o.obj.GetName())
	}
	sort.Strings(got)
	sort.Strings(want)
	if !slices.Equal(got, want) {
		t.Errorf("kubectl kustomize renders %v, want the manifests' objects %v", got, want)
	}
}

// longFlag is a --flag in help output or in a command line.
var longFlag = regexp.MustCompile(`(?:^|[\s"'\[])--([a-z][a-z0-9-]*)`)

func TestWispServeFlagsExist(t *testing.T) {
	// Every `wisp serve` flag the deployment files pass must exist in the
	// wisp binary named by WISP_BIN (make builds it as bin/wisp).
	bin := os.Getenv("WISP_BIN")
	if bin == "" {
		t.Skip("set WISP_BIN to a wisp binary to check the flags the files pass to `wisp serve`")
	}
	help, err := exec.Command(bin, "serve", "-h").CombinedOutput()
	if err != nil && len(help) == 0 {
		t.Fatalf("%s serve -h: %v", bin, err)
	}
	known := map[string]bool{}
	for _, m := range longFlag.FindAllStringSubmatch(string(help), -1) {
		known[m[1]] = true
	}
	if !known["data"] {
		t.Fatalf("%s serve -h lists no --data flag; is WISP_BIN a wisp binary? Output:\n%s", bin, help)
	}
	used := map[string]string{} // flag -> where
	f := loadFleet(t)
	wn := loadWispNode(t, f)
	for name := range wn.flags {
		used[name] = "deploy/kubernetes (" + wn.workload.String() + ")"
	}
	u := parseUnit(t, "wisp.service")
	args, _ := execArgs(u.last("ExecStart"), u.environment(t, "wisp.env.example"))
	flags, _, err := parseFlags(args[2:])
	if err != nil {
		t.Fatal(err)
	}
	for name := range flags {
		used[name] = "deploy/systemd/wisp.service"
	}
	// The examples in the environment file, commented out or not.
	for _, line := range strings.Split(readFile(t, filepath.Join(systemdDir, "wisp.env.example")), "\n") {
		if v, ok := strings.CutPrefix(strings.TrimLeft(line, "# "), "WISP_FLAGS="); ok {
			for _, m := range longFlag.FindAllStringSubmatch(" "+v, -1) {
				used[m[1]] = "deploy/systemd/wisp.env.example"
			}
		}
	}
	for name, where := range used {
		if !known[name] {
			t.Errorf("%s passes --%s, which `wisp serve` does not have (see %s serve -h)", where, name, bin)
		}
	}
}

func TestDockerfile(t *testing.T) {
	path := filepath.Join(repoRoot, "deploy", "docker", "Dockerfile")
	text := strings.ReplaceAll(readFile(t, path), "\\\n", " ")
	var froms, runs []string
	var user, entrypoint, goArg string
	for _, line := range strings.Split(text, "\n") {
		word, rest, _ := strings.Cut(strings.TrimSpace(line), " ")
		switch strings.ToUpper(word) {
		case "FROM":
			froms = append(froms, rest)
		case "RUN":
			runs = append(runs, rest)
		case "USER":
			user = rest
		case "ENTRYPOINT":
			entrypoint = rest
		case "ARG":
			if v, ok := strings.CutPrefix(rest, "GO_VERSION="); ok {
				goArg = v
			}
		}
	}
	if len(froms) < 2 {
		t.Fatalf("Dockerfile: want a build stage and a runtime stage, found FROM %q", froms)
	}
	if final := froms[len(froms)-1]; !strings.Contains(final, "distroless/static") && !strings.HasPrefix(final, "scratch") {
		t.Errorf("Dockerfile: the image is FROM %s; want distroless/static or scratch for a static binary", final)
	}
	build := regexp.MustCompile(`CGO_ENABLED=0 go build .*-o (\S+) \./cmd/wisp`)
	var built string
	for _, r := range runs {
		if m := build.FindStringSubmatch(r); m != nil {
			built = m[1]
		}
	}
	if built == "" {
		t.Errorf("Dockerfile: no `CGO_ENABLED=0 go build ... -o FILE ./cmd/wisp` step (the binary must be static)")
	} else if !regexp.MustCompile(`COPY --from=\S+ `+regexp.QuoteMeta(built)+` /usr/local/bin/wisp`).MatchString(text) ||
		entrypoint != `["/usr/local/bin/wisp"]` {
		t.Errorf("Dockerfile: want %s copied to /usr/local/bin/wisp and ENTRYPOINT [\"/usr/local/bin/wisp\"], got ENTRYPOINT %s", built, entrypoint)
	}
	// The pod runs as the image's user; Go in the image is go.mod's.
	uid, _, _ := strings.Cut(user, ":")
	d := named(t, loadFleet(t).deployments, "Deployment", wispName)
	if sc := d.Spec.Template.Spec.SecurityContext; uid == "" || uid == "0" || sc == nil || sc.RunAsUser == nil || uid != strconv.FormatInt(*sc.RunAsUser, 10) {
		t.Errorf("Dockerfile: USER %q; want a numeric non-root uid equal to Deployment %s's runAsUser", user, d.Name)
	}
	gomod := readFile(t, filepath.Join(repoRoot, "go.mod"))
	if m := regexp.MustCompile(`(?m)^go (\S+)$`).FindStringSubmatch(gomod); m == nil || m[1] != goArg {
		t.Errorf("Dockerfile: ARG GO_VERSION=%s, want go.mod's go version %v", goArg, m)
	}
}
