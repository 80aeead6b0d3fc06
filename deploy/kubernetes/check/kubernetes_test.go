package check

import (
	"os"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// Checks of deploy/kubernetes that hold for every object or every pod.

func TestDecodeRejectsMistakes(t *testing.T) {
	// The strict decoding every other check stands on must fail on these.
	for _, tc := range []struct{ name, doc, want string }{
		{"unknown field", "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: x\nspec:\n  replicaz: 3\n", `unknown field "replicaz"`},
		{"misplaced field", "apiVersion: v1\nkind: Service\nmetadata:\n  name: x\n  selector: {a: b}\n", `unknown field "selector"`},
		{"duplicate field", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n  name: y\n", `"name" already set`},
		{"wrong type", "apiVersion: apps/v1\nkind: StatefulSet\nmetadata:\n  name: x\nspec:\n  replicas: three\n", "replicas"},
		{"old apiVersion", "apiVersion: autoscaling/v1\nkind: HorizontalPodAutoscaler\nmetadata:\n  name: x\n", "not a type this check knows"},
		{"no name", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  labels: {a: b}\n", "metadata.name is empty"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := decodeDocuments("test.yaml", []byte(tc.doc))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("decodeDocuments = %v, want an error containing %q", err, tc.want)
			}
		})
	}
	objs, err := decodeDocuments("test.yaml", []byte("# only a comment\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n---\n\n---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: b\n"))
	if err != nil || len(objs) != 2 || objs[1].source != "test.yaml, document 2" {
		t.Fatalf("multi-document file: %d objects (%v), err %v; want 2, the second from document 2", len(objs), objs, err)
	}
}

func TestKustomizationListsEveryManifest(t *testing.T) {
	k := loadKustomization(t)
	if k.APIVersion != "kustomize.config.k8s.io/v1beta1" || k.Kind != "Kustomization" {
		t.Errorf("%s: apiVersion %q kind %q, want kustomize.config.k8s.io/v1beta1 Kustomization", kustomization, k.APIVersion, k.Kind)
	}
	files := manifestFiles(t)
	for _, r := range k.Resources {
		if !slices.Contains(files, r) {
			t.Errorf("%s lists resource %q, which is not a manifest in deploy/kubernetes (there are: %s)", kustomization, r, strings.Join(files, ", "))
		}
	}
	for _, f := range files {
		if !slices.Contains(k.Resources, f) {
			t.Errorf("%s is not listed in %s's resources, so `kubectl apply -k` skips it: add it", f, kustomization)
		}
	}
	f := loadFleet(t)
	if len(f.namespaces) != 1 || f.namespaces[0].Name != k.Namespace {
		t.Errorf("%s puts everything in namespace %q; there must be exactly one Namespace manifest with that name", kustomization, k.Namespace)
	}
}

func TestObjectsAreLabelledAndUnique(t *testing.T) {
	f := loadFleet(t)
	seen := map[string]string{}
	for _, o := range f.all {
		key := o.kind + "/" + o.obj.GetName()
		if prev, dup := seen[key]; dup {
			t.Errorf("%s: %s is defined twice (also in %s)", o.source, key, prev)
		}
		seen[key] = o.source
		if o.obj.GetNamespace() != "" {
			t.Errorf("%s: %s sets metadata.namespace; leave it to kustomization.yaml's namespace", o.source, key)
		}
		if o.obj.GetLabels()["app.kubernetes.io/part-of"] != "wisp" {
			t.Errorf("%s: %s lacks the label app.kubernetes.io/part-of: wisp that every object has", o.source, key)
		}
	}
}

// selectedWorkloads returns the workloads whose pod template labels sel
// matches.
func selectedWorkloads(f *fleet, sel labels.Selector) []workload {
	var out []workload
	for _, w := range f.workloads() {
		if sel.Matches(labels.Set(w.template.Labels)) {
			out = append(out, w)
		}
	}
	return out
}

func TestServicesSelectPodsAndPorts(t *testing.T) {
	f := loadFleet(t)
	for _, svc := range f.services {
		t.Run(svc.Name, func(t *testing.T) {
			if len(svc.Spec.Selector) == 0 {
				t.Fatalf("Service %s has no selector, so it sends traffic nowhere (or needs hand-made endpoints)", svc.Name)
			}
			ws := selectedWorkloads(f, labels.SelectorFromSet(svc.Spec.Selector))
			if len(ws) != 1 {
				t.Fatalf("Service %s selects %v: the pods of %d workloads, want exactly 1; match its selector to a pod template's labels", svc.Name, svc.Spec.Selector, len(ws))
			}
			for _, p := range svc.Spec.Ports {
				target := p.TargetPort
				if target.String() == "0" || target.String() == "" {
					target.IntVal = p.Port
				}
				if _, _, ok := podPort(&ws[0].template.Spec, target); !ok {
					t.Errorf("Service %s port %q targets %s, which no container of %s declares", svc.Name, p.Name, target.String(), ws[0])
				}
			}
		})
	}
}

func TestBudgetsAndPoliciesSelectPods(t *testing.T) {
	f := loadFleet(t)
	check := func(what string, ls *metav1.LabelSelector) {
		if ls == nil || len(ls.MatchLabels)+len(ls.MatchExpressions) == 0 {
			t.Errorf("%s has an empty selector, which selects every pod of the namespace", what)
			return
		}
		sel, err := metav1.LabelSelectorAsSelector(ls)
		if err != nil {
			t.Errorf("%s: %v", what, err)
			return
		}
		if ws := selectedWorkloads(f, sel); len(ws) != 1 {
			t.Errorf("%s selects the pods of %d workloads, want exactly 1", what, len(ws))
		}
	}
	for _, b := range f.budgets {
		check("PodDisruptionBudget "+b.Name, b.Spec.Selector)
		if b.Spec.MaxUnavailable == nil || b.Spec.MaxUnavailable.IntValue() != 1 {
			t.Errorf("PodDisruptionBudget %s: maxUnavailable %s, want 1 (one pod at a time)", b.Name, maxUnavailable(b.Spec.MaxUnavailable))
		}
	}
	for _, np := range f.networkPolicies {
		check("NetworkPolicy "+np.Name, &np.Spec.PodSelector)
		ws := selectedWorkloads(f, labels.SelectorFromSet(np.Spec.PodSelector.MatchLabels))
		for _, rule := range np.Spec.Ingress {
			for _, p := range rule.Ports {
				if p.Port == nil {
					continue
				}
				for _, w := range ws {
					if _, _, ok := podPort(&w.template.Spec, *p.Port); !ok {
						t.Errorf("NetworkPolicy %s allows port %s, which no container of %s declares", np.Name, p.Port.String(), w)
					}
				}
			}
			for _, peer := range rule.From {
				if peer.PodSelector != nil {
					check("NetworkPolicy "+np.Name+" ingress from", peer.PodSelector)
				}
			}
		}
	}
	for _, w := range f.workloads() {
		covered := false
		for _, b := range f.budgets {
			sel, _ := metav1.LabelSelectorAsSelector(b.Spec.Selector)
			covered = covered || sel.Matches(labels.Set(w.template.Labels))
		}
		if !covered {
			t.Errorf("%s has no PodDisruptionBudget: a node drain could stop all its pods at once", w)
		}
	}
}

func maxUnavailable(v *intstr.IntOrString) string {
	if v == nil {
		return "unset"
	}
	return v.String()
}

func TestContainersAreLockedDownAndSized(t *testing.T) {
	f := loadFleet(t)
	for _, w := range f.workloads() {
		pod := &w.template.Spec
		podNonRoot := pod.SecurityContext != nil && pod.SecurityContext.RunAsNonRoot != nil && *pod.SecurityContext.RunAsNonRoot
		for i := range pod.Containers {
			c := &pod.Containers[i]
			t.Run(w.name+"/"+c.Name, func(t *testing.T) {
				sc := c.SecurityContext
				if sc == nil {
					t.Fatalf("%s container %s has no securityContext; set readOnlyRootFilesystem, allowPrivilegeEscalation: false, capabilities.drop [ALL]", w, c.Name)
				}
				if !podNonRoot && (sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot) {
					t.Errorf("%s container %s may run as root: set runAsNonRoot: true", w, c.Name)
				}
				if sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem {
					t.Errorf("%s container %s: set readOnlyRootFilesystem: true (mount volumes where it writes)", w, c.Name)
				}
				if sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation {
					t.Errorf("%s container %s: set allowPrivilegeEscalation: false", w, c.Name)
				}
				if sc.Capabilities == nil || !slices.Contains(sc.Capabilities.Drop, corev1.Capability("ALL")) {
					t.Errorf("%s container %s: drop ALL capabilities", w, c.Name)
				}
				for _, r := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
					if q, ok := c.Resources.Requests[r]; !ok || q.IsZero() {
						t.Errorf("%s container %s has no %s request: the scheduler cannot place it sensibly", w, c.Name, r)
					}
				}
				if q, ok := c.Resources.Limits[corev1.ResourceMemory]; !ok || q.IsZero() {
					t.Errorf("%s container %s has no memory limit", w, c.Name)
				}
				if strings.HasSuffix(c.Image, ":latest") || !strings.Contains(c.Image, ":") {
					t.Errorf("%s container %s: image %q must name a version", w, c.Name, c.Image)
				}
			})
		}
	}
}

func TestProbesUseContainerPorts(t *testing.T) {
	f := loadFleet(t)
	for _, w := range f.workloads() {
		for i := range w.template.Spec.Containers {
			c := &w.template.Spec.Containers[i]
			ps := probes(c)
			for _, kind := range []string{"startupProbe", "livenessProbe", "readinessProbe"} {
				if ps[kind] == nil {
					t.Errorf("%s container %s has no %s", w, c.Name, kind)
				}
			}
			for kind, p := range ps {
				switch {
				case p.HTTPGet != nil:
					if _, ok := containerPort(c, p.HTTPGet.Port); !ok {
						t.Errorf("%s container %s: %s uses port %s, which the container does not declare", w, c.Name, kind, p.HTTPGet.Port.String())
					}
				case p.TCPSocket != nil:
					if _, ok := containerPort(c, p.TCPSocket.Port); !ok {
						t.Errorf("%s container %s: %s uses port %s, which the container does not declare", w, c.Name, kind, p.TCPSocket.Port.String())
					}
				}
			}
		}
	}
}

func TestVariableReferencesResolve(t *testing.T) {
	// The kubelet leaves $(NAME) as is when NAME is not defined before it:
	// a misspelled reference would reach the program literally.
	f := loadFleet(t)
	for _, w := range f.workloads() {
		for i := range w.template.Spec.Containers {
			c := &w.template.Spec.Containers[i]
			env := containerEnv(c, "pod-0")
			for _, s := range append(slices.Clone(c.Command), c.Args...) {
				if _, missing := expandVars(s, env); len(missing) > 0 {
					t.Errorf("%s container %s: %q refers to $(%s), which is not in the container's env", w, c.Name, s, strings.Join(missing, "), $("))
				}
			}
			for _, m := range c.VolumeMounts {
				if _, ok := volume(&w.template.Spec, m.Name); !ok && !isClaimTemplate(f, w, m.Name) {
					t.Errorf("%s container %s mounts volume %q, which the pod does not define", w, c.Name, m.Name)
				}
			}
		}
	}
}

// isClaimTemplate reports whether name is a volumeClaimTemplate of the
// StatefulSet w.
func isClaimTemplate(f *fleet, w workload, name string) bool {
	for _, s := range f.statefulSets {
		if s.Name == w.name && w.kind == "StatefulSet" {
			for _, ct := range s.Spec.VolumeClaimTemplates {
				if ct.Name == name {
					return true
				}
			}
		}
	}
	return false
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v", err)
	}
	return string(b)
}
