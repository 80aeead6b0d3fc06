package check

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// Checks of how the Wisp Deployment and the NATS StatefulSet fit together.

const (
	wispName      = "wisp" // the Deployment and its container
	natsReplicas  = 3      // a JetStream cluster that survives one server's loss
	wispGraceFlag = 30 * time.Second
)

// natsCluster is the NATS StatefulSet with its configuration, as loaded by
// nats-server for each of its pods.
type natsCluster struct {
	workload
	container *corev1.Container
	confPath  string                     // where the container reads nats.conf
	conf      string                     // its text, from the ConfigMap
	perPod    map[string]*server.Options // by pod name
}

// loadNATSCluster finds the NATS StatefulSet (the one whose container
// runs nats-server --config FILE), reads FILE from the ConfigMap mounted
// there and loads it for each pod with the environment the kubelet gives it.
func loadNATSCluster(t *testing.T, f *fleet) *natsCluster {
	t.Helper()
	for _, s := range f.statefulSets {
		w := workload{"StatefulSet", s.Name, &s.Spec.Template}
		for i := range s.Spec.Template.Spec.Containers {
			c := &s.Spec.Template.Spec.Containers[i]
			flags, _, err := parseFlags(c.Args)
			if err != nil || !slices.Contains(c.Command, "nats-server") || flags["config"] == "" {
				continue
			}
			nc := &natsCluster{workload: w, container: c, confPath: flags["config"], perPod: map[string]*server.Options{}}
			nc.conf = configMapFile(t, f, w, c, nc.confPath)
			replicas := int32(1)
			if s.Spec.Replicas != nil {
				replicas = *s.Spec.Replicas
			}
			for i := range replicas {
				pod := fmt.Sprintf("%s-%d", s.Name, i)
				for k, v := range containerEnv(c, pod) {
					t.Setenv(k, v)
				}
				opts, err := processNATSConfig(nc.conf)
				if err != nil {
					t.Fatalf("%s: nats-server cannot load %s for pod %s: %v", w, nc.confPath, pod, err)
				}
				nc.perPod[pod] = opts
			}
			return nc
		}
	}
	t.Fatal("no StatefulSet runs `nats-server --config FILE` (command [nats-server], args [--config, FILE])")
	return nil
}

// configMapFile returns the content of file as container c of w sees it:
// from the ConfigMap volume mounted at its directory.
func configMapFile(t *testing.T, f *fleet, w workload, c *corev1.Container, file string) string {
	t.Helper()
	m, ok := mountFor(c, file)
	if !ok {
		t.Fatalf("%s container %s reads %s, but no volume is mounted there", w, c.Name, file)
	}
	v, ok := volume(&w.template.Spec, m.Name)
	if !ok || v.ConfigMap == nil {
		t.Fatalf("%s container %s reads %s from volume %q, which is not a ConfigMap volume", w, c.Name, file, m.Name)
	}
	cm := named(t, f.configMaps, "ConfigMap", v.ConfigMap.Name)
	key := strings.TrimPrefix(strings.TrimPrefix(file, strings.TrimSuffix(m.MountPath, "/")), "/")
	for _, item := range v.ConfigMap.Items {
		if item.Path == key {
			key = item.Key
		}
	}
	text, ok := cm.Data[key]
	if !ok {
		t.Fatalf("%s reads %s: key %q of ConfigMap %s, which does not exist", w, file, key, cm.Name)
	}
	return text
}

func TestNATSClusterMatchesItsConfig(t *testing.T) {
	f := loadFleet(t)
	nc := loadNATSCluster(t, f)
	sts := named(t, f.statefulSets, "StatefulSet", nc.name)
	if sts.Spec.Replicas == nil || *sts.Spec.Replicas != natsReplicas {
		t.Fatalf("StatefulSet %s: replicas %s, want %d: Wisp's buckets are R3, which takes a 3-server cluster", sts.Name, show(sts.Spec.Replicas), natsReplicas)
	}
	// The routes name each pod through the headless Service.
	headless := named(t, f.services, "Service", sts.Spec.ServiceName)
	if headless.Spec.ClusterIP != corev1.ClusterIPNone {
		t.Errorf("Service %s (the StatefulSet's serviceName) must be headless (clusterIP: None) to give each pod a DNS name", headless.Name)
	}
	if !headless.Spec.PublishNotReadyAddresses {
		t.Errorf("Service %s: set publishNotReadyAddresses: true; a NATS server becomes ready only after finding its peers by these names", headless.Name)
	}
	if !labels.SelectorFromSet(headless.Spec.Selector).Matches(labels.Set(sts.Spec.Template.Labels)) {
		t.Errorf("Service %s does not select the pods of StatefulSet %s", headless.Name, sts.Name)
	}
	clusterPort, ok := containerPort(nc.container, intstr.FromString("cluster"))
	if !ok {
		t.Fatalf("%s container %s declares no port named cluster", nc.workload, nc.container.Name)
	}
	var wantRoutes []string
	for i := range natsReplicas {
		wantRoutes = append(wantRoutes, fmt.Sprintf("%s-%d.%s:%d", sts.Name, i, headless.Name, clusterPort.ContainerPort))
	}
	names := map[string]string{}
	for pod, opts := range nc.perPod {
		if got := routeHosts(opts.Routes); !slices.Equal(got, wantRoutes) {
			t.Errorf("%s cluster.routes go to %v, want one per pod through Service %s: %v", nc.confPath, got, headless.Name, wantRoutes)
		}
		if opts.Cluster.Name == "" || opts.Cluster.Port != int(clusterPort.ContainerPort) {
			t.Errorf("%s: cluster name %q port %d, want a name and the container's cluster port %d", nc.confPath, opts.Cluster.Name, opts.Cluster.Port, clusterPort.ContainerPort)
		}
		if opts.ServerName == "" {
			t.Errorf("%s: server_name is empty for pod %s; a JetStream cluster needs a unique name per server ($POD_NAME)", nc.confPath, pod)
		}
		if other, dup := names[opts.ServerName]; dup {
			t.Errorf("%s: pods %s and %s get the same server_name %q; derive it from the pod name", nc.confPath, other, pod, opts.ServerName)
		}
		names[opts.ServerName] = pod
		checkNATSPorts(t, nc, opts)
		checkJetStream(t, f, nc, sts.Spec.VolumeClaimTemplates, opts)
	}
	checkNATSLifecycle(t, nc, nc.perPod[sts.Name+"-0"])
}

// checkNATSPorts: the ports nats.conf listens on are the container's.
func checkNATSPorts(t *testing.T, nc *natsCluster, opts *server.Options) {
	t.Helper()
	for name, port := range map[string]int{"client": opts.Port, "monitor": opts.HTTPPort} {
		p, ok := containerPort(nc.container, intstr.FromString(name))
		if !ok || int(p.ContainerPort) != port {
			t.Errorf("%s listens for %s on %d, but the container's port %q is %v", nc.confPath, name, port, name, p.ContainerPort)
		}
	}
	for kind, p := range probes(nc.container) {
		if p.HTTPGet == nil || !strings.HasPrefix(p.HTTPGet.Path, "/healthz") {
			t.Errorf("%s: the NATS %s must be an HTTP GET of /healthz on the monitoring port", nc.workload, kind)
			continue
		}
		if port, _ := containerPort(nc.container, p.HTTPGet.Port); int(port.ContainerPort) != opts.HTTPPort {
			t.Errorf("%s: %s probes port %s, not the monitoring port %d (http_port)", nc.workload, kind, p.HTTPGet.Port.String(), opts.HTTPPort)
		}
	}
	if lp := nc.container.LivenessProbe; lp != nil && lp.HTTPGet != nil && lp.HTTPGet.Path != "/healthz?js-enabled-only=true" {
		t.Errorf("%s: livenessProbe %s, want /healthz?js-enabled-only=true: a server catching up with its peers is alive, and restarting it would only start over", nc.workload, lp.HTTPGet.Path)
	}
}

// checkJetStream: file storage on the PersistentVolume, fsync on every
// write, a file store limit the volume can hold.
func checkJetStream(t *testing.T, f *fleet, nc *natsCluster, claims []corev1.PersistentVolumeClaim, opts *server.Options) {
	t.Helper()
	if !opts.JetStream {
		t.Fatalf("%s: JetStream is off; Wisp's fleet state lives in JetStream", nc.confPath)
	}
	if !opts.SyncAlways {
		t.Errorf("%s: jetstream.sync_interval is not \"always\": an acknowledged deploy could be lost if every server loses power", nc.confPath)
	}
	m, ok := mountFor(nc.container, opts.StoreDir)
	if !ok {
		t.Fatalf("%s: store_dir %q is not on a mounted volume; JetStream data would vanish with the pod", nc.confPath, opts.StoreDir)
	}
	var claim *corev1.PersistentVolumeClaim
	for i := range claims {
		if claims[i].Name == m.Name {
			claim = &claims[i]
		}
	}
	if claim == nil {
		t.Fatalf("%s: store_dir %q is on volume %q, which is not one of the StatefulSet's volumeClaimTemplates: use a PersistentVolume", nc.confPath, opts.StoreDir, m.Name)
	}
	size := claim.Spec.Resources.Requests[corev1.ResourceStorage]
	if opts.JetStreamMaxStore <= 0 || opts.JetStreamMaxStore >= size.Value() {
		t.Errorf("%s: max_file_store %d bytes, want a limit below the volume's %s so JetStream refuses writes before the disk fills", nc.confPath, opts.JetStreamMaxStore, size.String())
	}
}

// checkNATSLifecycle: the pid file preStop signals is on a writable volume,
// and the pod is given time for lame duck mode.
func checkNATSLifecycle(t *testing.T, nc *natsCluster, opts *server.Options) {
	t.Helper()
	if opts.PidFile == "" {
		t.Fatalf("%s: no pid_file; preStop cannot signal lame duck mode", nc.confPath)
	}
	if _, ok := mountFor(nc.container, opts.PidFile); !ok {
		t.Errorf("%s: pid_file %s is not on a volume, and the root filesystem is read-only", nc.confPath, opts.PidFile)
	}
	ps := nc.container.Lifecycle
	if ps == nil || ps.PreStop == nil || ps.PreStop.Exec == nil || !slices.Contains(ps.PreStop.Exec.Command, "ldm="+opts.PidFile) {
		t.Errorf("%s: preStop must be [nats-server, --signal, ldm=%s] (lame duck mode through nats.conf's pid_file)", nc.workload, opts.PidFile)
	}
	grace := nc.template.Spec.TerminationGracePeriodSeconds
	need := opts.LameDuckDuration + opts.LameDuckGracePeriod
	if grace == nil || time.Duration(*grace)*time.Second <= need {
		t.Errorf("%s: terminationGracePeriodSeconds %s, want more than lame_duck_duration + lame_duck_grace_period (%v)", nc.workload, show(grace), need)
	}
}

// wispNode is the Wisp Deployment's container and its parsed arguments.
type wispNode struct {
	workload
	container *corev1.Container
	env       map[string]string
	flags     map[string]string
}

func loadWispNode(t *testing.T, f *fleet) *wispNode {
	t.Helper()
	d := named(t, f.deployments, "Deployment", wispName)
	w := workload{"Deployment", d.Name, &d.Spec.Template}
	c := container(t, w, wispName)
	env := containerEnv(c, "wisp-abc12")
	var args []string
	for _, a := range c.Args {
		expanded, _ := expandVars(a, env)
		args = append(args, expanded)
	}
	flags, positional, err := parseFlags(args)
	if err != nil {
		t.Fatalf("%s container %s args: %v", w, c.Name, err)
	}
	if !slices.Equal(positional, []string{"serve"}) {
		t.Fatalf("%s container %s: args must be `serve` and its flags (the image's entrypoint is wisp), got positional arguments %q", w, c.Name, positional)
	}
	return &wispNode{workload: w, container: c, env: env, flags: flags}
}

func TestWispJoinsTheNATSCluster(t *testing.T) {
	f := loadFleet(t)
	nc := loadNATSCluster(t, f)
	wn := loadWispNode(t, f)
	raw, ok := wn.flags["nats"]
	if !ok {
		t.Fatalf("%s: no --nats flag; without it the node is a single node, not a fleet member", wn.workload)
	}
	for _, one := range strings.Split(raw, ",") {
		u, err := url.Parse(one)
		if err != nil || u.Scheme != "nats" && u.Scheme != "tls" {
			t.Fatalf("%s: --nats %q is not a nats:// or tls:// URL: %v", wn.workload, one, err)
		}
		// The host is the NATS client Service, its port one of the Service's,
		// leading to the port nats.conf listens on.
		svc := named(t, f.services, "Service", strings.Split(u.Hostname(), ".")[0])
		if !labels.SelectorFromSet(svc.Spec.Selector).Matches(labels.Set(nc.template.Labels)) {
			t.Errorf("%s: --nats goes to Service %s, which does not select the NATS pods of %s", wn.workload, svc.Name, nc.workload)
		}
		if svc.Spec.ClusterIP == corev1.ClusterIPNone {
			t.Errorf("%s: --nats goes to headless Service %s, which lists servers that are not ready; use the client Service", wn.workload, svc.Name)
		}
		var target *intstr.IntOrString
		for _, p := range svc.Spec.Ports {
			if fmt.Sprint(p.Port) == u.Port() {
				target = &p.TargetPort
			}
		}
		if target == nil {
			t.Fatalf("%s: --nats port %q is not a port of Service %s", wn.workload, u.Port(), svc.Name)
		}
		for pod, opts := range nc.perPod {
			if p, ok := containerPort(nc.container, *target); !ok || int(p.ContainerPort) != opts.Port {
				t.Errorf("Service %s sends port %s to %s, but nats.conf's client port is %d", svc.Name, u.Port(), target.String(), opts.Port)
			}
			// Logging in: the user nats.conf names, the password it reads
			// from the same Secret key.
			password, _ := u.User.Password()
			if u.User.Username() != opts.Username || password != opts.Password {
				t.Errorf("%s: --nats logs in as %q with password from %q; nats.conf (pod %s) expects user %q with password from %q",
					wn.workload, u.User.Username(), password, pod, opts.Username, opts.Password)
			}
			if opts.Username != "" && !strings.HasPrefix(opts.Password, "secret.") {
				t.Errorf("nats.conf's client password comes from %q, want a Secret", opts.Password)
			}
		}
	}
}

func TestWispNodeServesAsAPod(t *testing.T) {
	f := loadFleet(t)
	wn := loadWispNode(t, f)
	c := wn.container
	if wn.flags["node-id"] != "wisp-abc12" {
		t.Errorf("%s: --node-id %q, want $(POD_NAME) with POD_NAME from the downward API (metadata.name), so `wisp app` names pods", wn.workload, wn.flags["node-id"])
	}
	if !strings.HasPrefix(wn.env["WISP_TOKEN"], "secret.") {
		t.Errorf("%s: WISP_TOKEN must come from a Secret (secretKeyRef): every node of a fleet needs the same admin token", wn.workload)
	}
	// The listeners are the container's ports, on every interface.
	for flag, port := range map[string]string{"listen": "http", "admin-listen": "admin"} {
		host, n, err := listenPort(wn.flags[flag])
		if err != nil {
			t.Errorf("%s: --%s %q: %v", wn.workload, flag, wn.flags[flag], err)
			continue
		}
		if host != "0.0.0.0" && host != "" {
			t.Errorf("%s: --%s %q listens on %s only; in a pod use 0.0.0.0 so Services and probes reach it", wn.workload, flag, wn.flags[flag], host)
		}
		if p, ok := containerPort(c, intstr.FromString(port)); !ok || p.ContainerPort != n {
			t.Errorf("%s: --%s is port %d, but the container's port %q is %v", wn.workload, flag, n, port, p.ContainerPort)
		}
	}
	admin, _ := containerPort(c, intstr.FromString("admin"))
	for kind, wantPath := range map[string]string{"startupProbe": "/healthz", "livenessProbe": "/healthz", "readinessProbe": "/readyz"} {
		p := probes(c)[kind]
		if p == nil || p.HTTPGet == nil {
			t.Errorf("%s: %s must be an HTTP GET of %s on the admin port", wn.workload, kind, wantPath)
			continue
		}
		port, _ := containerPort(c, p.HTTPGet.Port)
		if p.HTTPGet.Path != wantPath || port.ContainerPort != admin.ContainerPort {
			t.Errorf("%s: %s is GET %s on port %s, want %s on the admin port %d", wn.workload, kind, p.HTTPGet.Path, p.HTTPGet.Port.String(), wantPath, admin.ContainerPort)
		}
	}
	// The data directory is a cache: an emptyDir, not a PersistentVolume.
	data := wn.flags["data"]
	m, ok := mountFor(c, data)
	if v, vok := volume(&wn.template.Spec, m.Name); !ok || !vok || v.EmptyDir == nil {
		t.Errorf("%s: --data %q must be on an emptyDir volume (the root filesystem is read-only; the directory is only a cache)", wn.workload, data)
	}
	// Stopping: Kubernetes waits longer than the node drains.
	drain := durationFlag(t, wn.flags, "drain-delay", 0)
	grace := durationFlag(t, wn.flags, "grace", wispGraceFlag)
	if drain <= 0 {
		t.Errorf("%s: set --drain-delay (5s): pods keep serving while endpoints are removed", wn.workload)
	}
	tg := wn.template.Spec.TerminationGracePeriodSeconds
	if tg == nil || time.Duration(*tg)*time.Second <= drain+grace {
		t.Errorf("%s: terminationGracePeriodSeconds %s, want more than --drain-delay + --grace (%v), or requests in flight are killed", wn.workload, show(tg), drain+grace)
	}
}

func TestWispServicesAndAutoscaler(t *testing.T) {
	f := loadFleet(t)
	wn := loadWispNode(t, f)
	admin, _ := containerPort(wn.container, intstr.FromString("admin"))
	gatewayExposed := false
	for _, svc := range f.services {
		if !labels.SelectorFromSet(svc.Spec.Selector).Matches(labels.Set(wn.template.Labels)) {
			continue
		}
		for _, p := range svc.Spec.Ports {
			cp, _ := containerPort(wn.container, p.TargetPort)
			if cp.ContainerPort == admin.ContainerPort && svc.Spec.Type != corev1.ServiceTypeClusterIP && svc.Spec.Type != "" {
				t.Errorf("Service %s exposes the admin API as %s; keep it ClusterIP (port-forward to reach it)", svc.Name, svc.Spec.Type)
			}
			if cp.Name == "http" && p.Port == 80 {
				gatewayExposed = true
			}
		}
	}
	if !gatewayExposed {
		t.Errorf("no Service maps port 80 to the gateway (container port http)")
	}
	d := named(t, f.deployments, "Deployment", wispName)
	if d.Spec.Replicas != nil {
		t.Errorf("Deployment %s sets replicas; leave them to the HorizontalPodAutoscaler, or every `kubectl apply` resets the scale", d.Name)
	}
	var found bool
	for _, hpa := range f.autoscalers {
		ref := hpa.Spec.ScaleTargetRef
		if ref.Kind != "Deployment" || ref.Name != d.Name || ref.APIVersion != "apps/v1" {
			continue
		}
		found = true
		if hpa.Spec.MinReplicas == nil || *hpa.Spec.MinReplicas < 2 || hpa.Spec.MaxReplicas <= *hpa.Spec.MinReplicas {
			t.Errorf("HorizontalPodAutoscaler %s: minReplicas %s maxReplicas %d, want at least 2 and room to grow", hpa.Name, show(hpa.Spec.MinReplicas), hpa.Spec.MaxReplicas)
		}
		for _, m := range hpa.Spec.Metrics {
			if m.Resource != nil && m.Resource.Name == corev1.ResourceCPU && m.Resource.Target.AverageUtilization != nil {
				if _, ok := wn.container.Resources.Requests[corev1.ResourceCPU]; !ok {
					t.Errorf("HorizontalPodAutoscaler %s scales on CPU utilization, which needs a CPU request on container %s", hpa.Name, wn.container.Name)
				}
			}
		}
	}
	if !found {
		t.Errorf("no HorizontalPodAutoscaler targets apps/v1 Deployment %s", d.Name)
	}
}
