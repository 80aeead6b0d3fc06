package check

import (
	"fmt"
	"net"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// Helpers that read pod templates the way the kubelet would.

// containerPort returns the port of c that ref (a number or a port name)
// designates, or false.
func containerPort(c *corev1.Container, ref intstr.IntOrString) (corev1.ContainerPort, bool) {
	for _, p := range c.Ports {
		if ref.Type == intstr.String && p.Name == ref.StrVal ||
			ref.Type == intstr.Int && p.ContainerPort == ref.IntVal {
			return p, true
		}
	}
	return corev1.ContainerPort{}, false
}

// podPort is containerPort over every container of a pod template.
func podPort(spec *corev1.PodSpec, ref intstr.IntOrString) (corev1.ContainerPort, *corev1.Container, bool) {
	for i := range spec.Containers {
		if p, ok := containerPort(&spec.Containers[i], ref); ok {
			return p, &spec.Containers[i], true
		}
	}
	return corev1.ContainerPort{}, nil, false
}

// containerEnv is the environment the kubelet gives c in pod podName, with
// values from elsewhere stood in for by where they come from: a Secret key
// becomes "secret.NAME.KEY", so two containers that read the same key get the
// same value and a check can tell where a value came from.
func containerEnv(c *corev1.Container, podName string) map[string]string {
	env := map[string]string{}
	for _, e := range c.Env {
		switch {
		case e.ValueFrom == nil:
			env[e.Name], _ = expandVars(e.Value, env)
		case e.ValueFrom.FieldRef != nil:
			switch e.ValueFrom.FieldRef.FieldPath {
			case "metadata.name":
				env[e.Name] = podName
			default:
				env[e.Name] = "field." + e.ValueFrom.FieldRef.FieldPath
			}
		case e.ValueFrom.SecretKeyRef != nil:
			env[e.Name] = "secret." + e.ValueFrom.SecretKeyRef.Name + "." + e.ValueFrom.SecretKeyRef.Key
		case e.ValueFrom.ConfigMapKeyRef != nil:
			env[e.Name] = "configmap." + e.ValueFrom.ConfigMapKeyRef.Name + "." + e.ValueFrom.ConfigMapKeyRef.Key
		case e.ValueFrom.ResourceFieldRef != nil:
			env[e.Name] = "resource." + e.ValueFrom.ResourceFieldRef.Resource
		}
	}
	return env
}

// kubeVar is a $(NAME) reference in a container's command, args or env.
var kubeVar = regexp.MustCompile(`\$\(([A-Za-z_][A-Za-z0-9_]*)\)`)

// expandVars replaces $(NAME) references with their values in env, as the
// kubelet does, and returns the names it found no value for (the kubelet
// leaves those as they are, silently).
func expandVars(s string, env map[string]string) (string, []string) {
	var missing []string
	out := kubeVar.ReplaceAllStringFunc(s, func(ref string) string {
		name := kubeVar.FindStringSubmatch(ref)[1]
		v, ok := env[name]
		if !ok {
			missing = append(missing, name)
			return ref
		}
		return v
	})
	return out, missing
}

// parseFlags reads Go flag-package style arguments: --name=value or
// --name value (the manifests pass no boolean flags). It returns the
// flags and the positional arguments.
func parseFlags(args []string) (map[string]string, []string, error) {
	flags := map[string]string{}
	var positional []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if !strings.HasPrefix(a, "-") {
			positional = append(positional, a)
			continue
		}
		name, value, ok := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if !ok {
			if i+1 == len(args) {
				return nil, nil, fmt.Errorf("flag %s has no value", a)
			}
			i++
			value = args[i]
		}
		if _, dup := flags[name]; dup {
			return nil, nil, fmt.Errorf("flag --%s is given twice", name)
		}
		flags[name] = value
	}
	return flags, positional, nil
}

// listenPort returns the port of a host:port listen address.
func listenPort(addr string) (host string, port int32, err error) {
	host, p, err := net.SplitHostPort(addr)
	if err != nil {
		return "", 0, err
	}
	n, err := strconv.ParseInt(p, 10, 32)
	return host, int32(n), err
}

// durationFlag parses a duration flag, def when absent.
func durationFlag(t *testing.T, flags map[string]string, name string, def time.Duration) time.Duration {
	t.Helper()
	v, ok := flags[name]
	if !ok {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		t.Fatalf("--%s=%q: %v", name, v, err)
	}
	return d
}

// probes lists a container's probes by kind, skipping absent ones.
func probes(c *corev1.Container) map[string]*corev1.Probe {
	m := map[string]*corev1.Probe{}
	for kind, p := range map[string]*corev1.Probe{"startupProbe": c.StartupProbe, "livenessProbe": c.LivenessProbe, "readinessProbe": c.ReadinessProbe} {
		if p != nil {
			m[kind] = p
		}
	}
	return m
}

// volume returns the pod volume called name.
func volume(spec *corev1.PodSpec, name string) (*corev1.Volume, bool) {
	for i := range spec.Volumes {
		if spec.Volumes[i].Name == name {
			return &spec.Volumes[i], true
		}
	}
	return nil, false
}

// mountFor returns the volume mount of c holding path (the longest matching
// mount path), or false.
func mountFor(c *corev1.Container, path string) (corev1.VolumeMount, bool) {
	var best corev1.VolumeMount
	found := false
	for _, m := range c.VolumeMounts {
		mp := strings.TrimSuffix(m.MountPath, "/")
		if (path == mp || strings.HasPrefix(path, mp+"/")) && len(mp) >= len(best.MountPath) {
			best, found = m, true
		}
	}
	return best, found
}

// show formats an optional number for a message: its value, or "unset".
func show[T int32 | int64](p *T) string {
	if p == nil {
		return "unset"
	}
	return strconv.FormatInt(int64(*p), 10)
}
