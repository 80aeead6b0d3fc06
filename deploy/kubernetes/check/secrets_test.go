package check

import (
	"fmt"
	"io/fs"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
)

// Checks of the Secrets the pods read, and of the key file that encrypts
// the apps' secrets on every node (docs/secrets.md).

// secretRefs collects which keys of which Secrets a pod template reads:
// through env (secretKeyRef), envFrom and Secret or projected volumes. A
// Secret read whole (envFrom, or a volume without items) is listed with no
// keys.
func secretRefs(spec *corev1.PodSpec, into map[string]map[string]bool) {
	use := func(name string, keys ...string) {
		if into[name] == nil {
			into[name] = map[string]bool{}
		}
		for _, k := range keys {
			into[name][k] = true
		}
	}
	items := func(name string, list []corev1.KeyToPath) {
		use(name)
		for _, it := range list {
			use(name, it.Key)
		}
	}
	for _, cs := range [][]corev1.Container{spec.InitContainers, spec.Containers} {
		for _, c := range cs {
			for _, e := range c.Env {
				if e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil {
					use(e.ValueFrom.SecretKeyRef.Name, e.ValueFrom.SecretKeyRef.Key)
				}
			}
			for _, e := range c.EnvFrom {
				if e.SecretRef != nil {
					use(e.SecretRef.Name)
				}
			}
		}
	}
	for _, v := range spec.Volumes {
		switch {
		case v.Secret != nil:
			items(v.Secret.SecretName, v.Secret.Items)
		case v.Projected != nil:
			for _, src := range v.Projected.Sources {
				if src.Secret != nil {
					items(src.Secret.Name, src.Secret.Items)
				}
			}
		}
	}
}

// createdSecret is one `kubectl ... create secret generic NAME ...` command
// of a document, with the keys it puts in the Secret.
type createdSecret struct {
	name string
	keys map[string]bool
	line string // the command, for messages
}

// createdSecrets finds `kubectl ... create secret generic NAME` commands in
// a document, joining lines continued with a backslash, and returns each
// with the keys its --from-literal=KEY=VALUE, --from-file=KEY=PATH and
// --from-file=PATH (the key is the file's name) give the Secret.
func createdSecrets(doc string) []createdSecret {
	var out []createdSecret
	joined := strings.ReplaceAll(doc, "\\\n", " ")
	for _, line := range strings.Split(joined, "\n") {
		fields := strings.Fields(line)
		i := slices.Index(fields, "generic")
		if i < 2 || i+1 >= len(fields) || fields[i-1] != "secret" || fields[i-2] != "create" {
			continue
		}
		c := createdSecret{name: fields[i+1], keys: map[string]bool{}, line: strings.Join(fields, " ")}
		for _, fl := range fields[i+2:] {
			if kv, ok := strings.CutPrefix(fl, "--from-literal="); ok {
				key, _, _ := strings.Cut(kv, "=")
				c.keys[key] = true
			}
			if kv, ok := strings.CutPrefix(fl, "--from-file="); ok {
				key, _, ok := strings.Cut(kv, "=")
				if !ok {
					key = path.Base(strings.Trim(kv, `"'`))
				}
				c.keys[key] = true
			}
		}
		out = append(out, c)
	}
	return out
}

func TestCreatedSecrets(t *testing.T) {
	for _, tc := range []struct{ name, doc, want string }{
		{"literals continued", "text\n```sh\nkubectl -n wisp create secret generic wisp-secrets \\\n  --from-literal=admin-token=\"$(openssl rand -hex 32)\" \\\n  --from-literal=nats-password=x\n```\n",
			"wisp-secrets [admin-token nats-password]"},
		{"files", "kubectl create secret generic s --from-file=secret-key=secret.key --from-file=./dir/ca.crt --dry-run=client -o yaml | kubectl apply -f -\n",
			"s [ca.crt secret-key]"},
		{"two commands", "kubectl create secret generic a --from-literal=x=1\nkubectl create secret generic a --from-literal=y=2\n",
			"a [x] | a [y]"},
		{"not a create", "kubectl get secret generic-thing\nkubectl delete secret generic x\n", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, c := range createdSecrets(tc.doc) {
				keys := make([]string, 0, len(c.keys))
				for k := range c.keys {
					keys = append(keys, k)
				}
				slices.Sort(keys)
				got = append(got, fmt.Sprintf("%s %v", c.name, keys))
			}
			if s := strings.Join(got, " | "); s != tc.want {
				t.Fatalf("createdSecrets = %q, want %q", s, tc.want)
			}
		})
	}
}

func TestSecretsAreCreatedAsDocumented(t *testing.T) {
	// The manifests reference a Secret they do not contain (no token or key
	// is committed); every `kubectl create secret` of docs/operations.md
	// that makes it must give it every key the pods read: applying one that
	// lacks a key (to rotate the admin token, say) would remove that key.
	f := loadFleet(t)
	want := map[string]map[string]bool{}
	for _, w := range f.workloads() {
		secretRefs(&w.template.Spec, want)
	}
	if len(want) == 0 {
		t.Fatal("no pod reads a Secret: where do the admin token and the secret key come from?")
	}
	doc := readFile(t, filepath.Join(repoRoot, "docs", "operations.md"))
	created := createdSecrets(doc)
	for name, keys := range want {
		if _, inManifests := findSecret(f, name); inManifests {
			continue
		}
		found := false
		for _, c := range created {
			if c.name != name {
				continue
			}
			found = true
			for key := range keys {
				if !c.keys[key] {
					t.Errorf("pods read key %q of Secret %q, but docs/operations.md's `%s` makes it without that key (add --from-literal=%s=... or --from-file=%s=FILE)", key, name, c.line, key, key)
				}
			}
		}
		if !found {
			t.Errorf("pods read Secret %q, which neither deploy/kubernetes nor a `kubectl create secret generic %s` command in docs/operations.md creates", name, name)
		}
	}
}

func findSecret(f *fleet, name string) (*corev1.Secret, bool) {
	for _, s := range f.secrets {
		if s.Name == name {
			return s, true
		}
	}
	return nil, false
}

func TestWispSecretKeyFile(t *testing.T) {
	// Every node of a fleet needs the same key file and a fleet node never
	// creates one, so the pods read it from a Secret, read-only, and only
	// the node can read it.
	f := loadFleet(t)
	wn := loadWispNode(t, f)
	file := wn.flags["secret-key-file"]
	if file == "" {
		t.Fatalf("%s: no --secret-key-file: a fleet node creates no key, so it would run without secrets; mount the fleet's key from a Secret and pass its path", wn.workload)
	}
	m, ok := mountFor(wn.container, file)
	if !ok {
		t.Fatalf("%s: --secret-key-file %s is on no volume", wn.workload, file)
	}
	v, ok := volume(&wn.template.Spec, m.Name)
	if !ok || v.Secret == nil {
		t.Fatalf("%s: --secret-key-file %s is on volume %q, which is not a Secret volume: every pod needs the same key, from one Secret", wn.workload, file, m.Name)
	}
	if !m.ReadOnly {
		t.Errorf("%s: mount the secret key's volume %q readOnly: true", wn.workload, m.Name)
	}
	rel := strings.TrimPrefix(strings.TrimPrefix(file, strings.TrimSuffix(m.MountPath, "/")), "/")
	key, mode := rel, v.Secret.DefaultMode
	if len(v.Secret.Items) > 0 {
		key = ""
		for _, it := range v.Secret.Items {
			if it.Path == rel {
				key = it.Key
				if it.Mode != nil {
					mode = it.Mode
				}
			}
		}
		if key == "" {
			t.Fatalf("%s: volume %q projects no item to %s, which --secret-key-file reads", wn.workload, m.Name, rel)
		}
	}
	refs := map[string]map[string]bool{}
	secretRefs(&wn.template.Spec, refs)
	if !refs[v.Secret.SecretName][key] {
		t.Errorf("%s: the key file is key %q of Secret %s, which secretRefs did not find", wn.workload, key, v.Secret.SecretName)
	}
	perm := fs.FileMode(0o644) // the API's default for Secret volumes
	if mode != nil {
		perm = fs.FileMode(*mode)
	}
	if perm&0o007 != 0 || perm&0o222 != 0 {
		t.Errorf("%s: the secret key file gets mode %04o; want 0400 (no write bits, nothing for others)", wn.workload, perm)
	}
	// Secret files belong to root; a non-root node reads a 0400 file only
	// through the pod's fsGroup, for which the kubelet adds group read.
	sc := wn.template.Spec.SecurityContext
	if sc == nil || sc.RunAsUser == nil || *sc.RunAsUser != 0 {
		if sc == nil || sc.FSGroup == nil {
			t.Errorf("%s: set the pod's securityContext.fsGroup: the kubelet writes Secret files as root, and only the fsGroup lets a non-root node read a file of mode %04o", wn.workload, perm)
		} else if perm&0o400 == 0 {
			t.Errorf("%s: the secret key file's mode %04o has no read bit for the kubelet to extend to the fsGroup", wn.workload, perm)
		}
	}
}

// credentialDir is where systemd puts a unit's credentials, which the %d
// specifier names.
const credentialDir = "/run/credentials/wisp.service/"

func TestSystemdWispSecretKey(t *testing.T) {
	// The unit runs as a dynamic user, which cannot read /etc/wisp: the key
	// file reaches it as a systemd credential, from a file the operator
	// installs the same on every node as docs/operations.md says.
	const name = "wisp.service"
	u := parseUnit(t, name)
	env := u.environment(t, "wisp.env.example")
	args, _ := execArgs(u.last("ExecStart"), env)
	flags, _, err := parseFlags(args[2:])
	if err != nil {
		t.Fatal(err)
	}
	file := flags["secret-key-file"]
	if file == "" {
		t.Fatalf("%s: no --secret-key-file: a fleet node creates no key, so it would run without secrets", name)
	}
	id, ok := strings.CutPrefix(file, "%d/")
	if !ok {
		id, ok = strings.CutPrefix(file, credentialDir)
	}
	if !ok {
		if sd := u.stateDir(t, name); !strings.HasPrefix(file, sd+"/") {
			t.Fatalf("%s: --secret-key-file %s: the dynamic user reads only its StateDirectory %s; hand the key over with LoadCredential= and pass %%d/ID", name, file, sd)
		}
		return
	}
	var source string
	for _, lc := range u["Service"]["LoadCredential"] {
		if cid, src, _ := strings.Cut(lc, ":"); cid == id {
			source = src
		}
	}
	if source == "" {
		t.Fatalf("%s: --secret-key-file %s is credential %q, which no LoadCredential=%s:PATH provides", name, file, id, id)
	}
	if !filepath.IsAbs(source) {
		t.Errorf("%s: LoadCredential=%s:%s: give the key file's absolute path", name, id, source)
	}
	doc := readFile(t, filepath.Join(repoRoot, "docs", "operations.md"))
	install := regexp.MustCompile(`install -m 0?600 \S+ ` + regexp.QuoteMeta(source) + `\b`)
	if !install.MatchString(doc) {
		t.Errorf("docs/operations.md does not install the secret key as %s (install -m 0600 FILE %s), which %s loads", source, source, name)
	}
	header := readFile(t, filepath.Join(systemdDir, name))
	if !install.MatchString(header) {
		t.Errorf("%s: the install notes at its top do not install %s (install -m 0600 FILE %s)", name, source, source)
	}
}
