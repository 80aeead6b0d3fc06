package check

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/yaml"
)

// Paths relative to this package's directory, where `go test` runs.
const (
	manifestDir   = ".."       // deploy/kubernetes
	repoRoot      = "../../.." // the Wisp repository
	kustomization = "kustomization.yaml"
)

// k8sObject is what every typed Kubernetes object is: metadata plus kind.
type k8sObject interface {
	metav1.Object
	runtime.Object
}

// object is one decoded manifest document and where it came from.
type object struct {
	source string // "nats-services.yaml, document 2", for messages
	file   string // "nats-services.yaml"
	kind   string
	obj    k8sObject
}

// fleet is every object of deploy/kubernetes, by type.
type fleet struct {
	all             []object
	namespaces      []*corev1.Namespace
	configMaps      []*corev1.ConfigMap
	secrets         []*corev1.Secret
	services        []*corev1.Service
	deployments     []*appsv1.Deployment
	statefulSets    []*appsv1.StatefulSet
	autoscalers     []*autoscalingv2.HorizontalPodAutoscaler
	budgets         []*policyv1.PodDisruptionBudget
	networkPolicies []*networkingv1.NetworkPolicy
}

// newTyped returns an empty object of the Go type for apiVersion and kind.
func newTyped(apiVersion, kind string) (k8sObject, error) {
	switch apiVersion + " " + kind {
	case "v1 Namespace":
		return &corev1.Namespace{}, nil
	case "v1 ConfigMap":
		return &corev1.ConfigMap{}, nil
	case "v1 Secret":
		return &corev1.Secret{}, nil
	case "v1 Service":
		return &corev1.Service{}, nil
	case "apps/v1 Deployment":
		return &appsv1.Deployment{}, nil
	case "apps/v1 StatefulSet":
		return &appsv1.StatefulSet{}, nil
	case "autoscaling/v2 HorizontalPodAutoscaler":
		return &autoscalingv2.HorizontalPodAutoscaler{}, nil
	case "policy/v1 PodDisruptionBudget":
		return &policyv1.PodDisruptionBudget{}, nil
	case "networking.k8s.io/v1 NetworkPolicy":
		return &networkingv1.NetworkPolicy{}, nil
	}
	return nil, fmt.Errorf("apiVersion %q kind %q is not a type this check knows: use a current API version "+
		"(apps/v1, autoscaling/v2, policy/v1...) or add the type to newTyped in check/manifests_test.go", apiVersion, kind)
}

// documentSeparator is a YAML document separator line.
var documentSeparator = regexp.MustCompile(`(?m)^---[ \t]*$`)

// splitDocuments splits a multi-document YAML file, dropping documents that
// hold nothing but comments and blank lines.
func splitDocuments(data []byte) [][]byte {
	var docs [][]byte
	for _, doc := range documentSeparator.Split(string(data), -1) {
		for _, line := range strings.Split(doc, "\n") {
			if l := strings.TrimSpace(line); l != "" && !strings.HasPrefix(l, "#") {
				docs = append(docs, []byte(doc))
				break
			}
		}
	}
	return docs
}

// decodeDocuments decodes every document of a manifest file strictly: a
// field the API type does not have, or one given twice, is an error.
func decodeDocuments(file string, data []byte) ([]object, error) {
	var objects []object
	for i, doc := range splitDocuments(data) {
		source := fmt.Sprintf("%s, document %d", file, i+1)
		var tm metav1.TypeMeta
		if err := yaml.Unmarshal(doc, &tm); err != nil {
			return nil, fmt.Errorf("%s: not a YAML object: %w", source, err)
		}
		obj, err := newTyped(tm.APIVersion, tm.Kind)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", source, err)
		}
		if err := yaml.UnmarshalStrict(doc, obj); err != nil {
			return nil, fmt.Errorf("%s (%s): %w; fix the field's name or place, as in `kubectl explain %s`",
				source, tm.Kind, err, strings.ToLower(tm.Kind))
		}
		if obj.GetName() == "" {
			return nil, fmt.Errorf("%s (%s): metadata.name is empty; every object needs a name", source, tm.Kind)
		}
		objects = append(objects, object{source: source, file: file, kind: tm.Kind, obj: obj})
	}
	return objects, nil
}

// manifestFiles lists the YAML files of deploy/kubernetes but the
// kustomization, sorted.
func manifestFiles(t *testing.T) []string {
	t.Helper()
	var files []string
	for _, pattern := range []string{"*.yaml", "*.yml"} {
		m, err := filepath.Glob(filepath.Join(manifestDir, pattern))
		if err != nil {
			t.Fatal(err)
		}
		for _, path := range m {
			if name := filepath.Base(path); name != kustomization {
				files = append(files, name)
			}
		}
	}
	sort.Strings(files)
	if len(files) == 0 {
		t.Fatalf("no manifests in %s: run the test from deploy/kubernetes/check", manifestDir)
	}
	return files
}

// loadFleet decodes every manifest of deploy/kubernetes, failing the test
// on the first that does not decode.
func loadFleet(t *testing.T) *fleet {
	t.Helper()
	f := &fleet{}
	for _, file := range manifestFiles(t) {
		data, err := os.ReadFile(filepath.Join(manifestDir, file))
		if err != nil {
			t.Fatal(err)
		}
		objects, err := decodeDocuments(file, data)
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range objects {
			f.add(o)
		}
	}
	return f
}

func (f *fleet) add(o object) {
	f.all = append(f.all, o)
	switch obj := o.obj.(type) {
	case *corev1.Namespace:
		f.namespaces = append(f.namespaces, obj)
	case *corev1.ConfigMap:
		f.configMaps = append(f.configMaps, obj)
	case *corev1.Secret:
		f.secrets = append(f.secrets, obj)
	case *corev1.Service:
		f.services = append(f.services, obj)
	case *appsv1.Deployment:
		f.deployments = append(f.deployments, obj)
	case *appsv1.StatefulSet:
		f.statefulSets = append(f.statefulSets, obj)
	case *autoscalingv2.HorizontalPodAutoscaler:
		f.autoscalers = append(f.autoscalers, obj)
	case *policyv1.PodDisruptionBudget:
		f.budgets = append(f.budgets, obj)
	case *networkingv1.NetworkPolicy:
		f.networkPolicies = append(f.networkPolicies, obj)
	}
}

// workload is a Deployment or StatefulSet: something that runs pods.
type workload struct {
	kind, name string
	template   *corev1.PodTemplateSpec
}

func (w workload) String() string { return w.kind + " " + w.name }

func (f *fleet) workloads() []workload {
	var ws []workload
	for _, d := range f.deployments {
		ws = append(ws, workload{"Deployment", d.Name, &d.Spec.Template})
	}
	for _, s := range f.statefulSets {
		ws = append(ws, workload{"StatefulSet", s.Name, &s.Spec.Template})
	}
	return ws
}

// named returns the object called name from list, failing the test if there
// is none.
func named[T k8sObject](t *testing.T, list []T, kind, name string) T {
	t.Helper()
	for _, o := range list {
		if o.GetName() == name {
			return o
		}
	}
	var names []string
	for _, o := range list {
		names = append(names, o.GetName())
	}
	t.Fatalf("no %s named %q in deploy/kubernetes (there are: %s)", kind, name, strings.Join(names, ", "))
	var zero T
	return zero
}

// container returns the container called name of a pod template.
func container(t *testing.T, w workload, name string) *corev1.Container {
	t.Helper()
	for i := range w.template.Spec.Containers {
		if c := &w.template.Spec.Containers[i]; c.Name == name {
			return c
		}
	}
	t.Fatalf("%s has no container %q", w, name)
	return nil
}

// kustomizationFile is the part of kustomization.yaml the manifests use.
// Decoding is strict: a field added there must be added here, with a check.
type kustomizationFile struct {
	APIVersion string   `json:"apiVersion"`
	Kind       string   `json:"kind"`
	Namespace  string   `json:"namespace"`
	Resources  []string `json:"resources"`
}

func loadKustomization(t *testing.T) kustomizationFile {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(manifestDir, kustomization))
	if err != nil {
		t.Fatal(err)
	}
	var k kustomizationFile
	if err := yaml.UnmarshalStrict(data, &k); err != nil {
		t.Fatalf("%s: %v; this check knows apiVersion, kind, namespace and resources: "+
			"teach kustomizationFile in check/manifests_test.go any other field you add", kustomization, err)
	}
	return k
}
