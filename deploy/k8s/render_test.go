package k8s

import (
	"fmt"
	"net"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/yaml"
)

// Namespace is where the overlays put midstream.
const Namespace = "midstream"

// Image is the image every Deployment runs; the Makefile's IMAGE default names the same.
const Image = "midstream/midstream"

// MetricsPort is the /metrics /healthz /readyz port of every binary (MIDSTREAM_HTTP_ADDR,
// ingest's MIDSTREAM_METRICS_ADDR); QUICPort is ingest's MIDSTREAM_INGEST_ADDR port.
const (
	MetricsPort = 9464
	QUICPort    = 4433
	NATSPort    = 4222
)

// objects is one rendered kustomization, decoded strictly by kind.
type objects struct {
	deployments     map[string]*appsv1.Deployment
	services        []*corev1.Service
	configMaps      map[string]*corev1.ConfigMap
	netpols         []*networkingv1.NetworkPolicy
	pdbs            []*policyv1.PodDisruptionBudget
	hpas            []*autoscalingv2.HorizontalPodAutoscaler
	scaledObjects   []*ScaledObject
	serviceMonitors []*ServiceMonitor
	namespaces      []*corev1.Namespace
	// objectNamespace maps "Kind/name" to the object's namespace.
	objectNamespace map[string]string
	stream          []*NACKStream
	consumers       []*NACKConsumer
	keyValues       []*NACKKeyValue
}

// render runs kustomize on dir (relative to this module) and decodes every object into its
// API type with unknown fields rejected.
func render(t *testing.T, dir string) *objects {
	t.Helper()
	k := krusty.MakeKustomizer(krusty.MakeDefaultOptions())
	rm, err := k.Run(filesys.MakeFsOnDisk(), dir)
	if err != nil {
		t.Fatalf("kustomize %s: %v", dir, err)
	}
	o := &objects{deployments: map[string]*appsv1.Deployment{}, configMaps: map[string]*corev1.ConfigMap{}, objectNamespace: map[string]string{}}
	for _, r := range rm.Resources() {
		b, err := r.AsYAML()
		if err != nil {
			t.Fatal(err)
		}
		gvk := r.GetApiVersion() + ", Kind=" + r.GetKind()
		o.objectNamespace[r.GetKind()+"/"+r.GetName()] = r.GetNamespace()
		var obj any
		switch gvk {
		case "apps/v1, Kind=Deployment":
			obj = new(appsv1.Deployment)
		case "v1, Kind=Service":
			s := new(corev1.Service)
			obj, o.services = s, append(o.services, s)
		case "v1, Kind=ConfigMap":
			obj = new(corev1.ConfigMap)
		case "v1, Kind=Namespace":
			n := new(corev1.Namespace)
			obj, o.namespaces = n, append(o.namespaces, n)
		case "networking.k8s.io/v1, Kind=NetworkPolicy":
			n := new(networkingv1.NetworkPolicy)
			obj, o.netpols = n, append(o.netpols, n)
		case "policy/v1, Kind=PodDisruptionBudget":
			p := new(policyv1.PodDisruptionBudget)
			obj, o.pdbs = p, append(o.pdbs, p)
		case "autoscaling/v2, Kind=HorizontalPodAutoscaler":
			h := new(autoscalingv2.HorizontalPodAutoscaler)
			obj, o.hpas = h, append(o.hpas, h)
		case "keda.sh/v1alpha1, Kind=ScaledObject":
			s := new(ScaledObject)
			obj, o.scaledObjects = s, append(o.scaledObjects, s)
		case "monitoring.coreos.com/v1, Kind=ServiceMonitor":
			s := new(ServiceMonitor)
			obj, o.serviceMonitors = s, append(o.serviceMonitors, s)
		case NACKAPIVersion + ", Kind=Stream":
			s := new(NACKStream)
			obj, o.stream = s, append(o.stream, s)
		case NACKAPIVersion + ", Kind=Consumer":
			c := new(NACKConsumer)
			obj, o.consumers = c, append(o.consumers, c)
		case NACKAPIVersion + ", Kind=KeyValue":
			kv := new(NACKKeyValue)
			obj, o.keyValues = kv, append(o.keyValues, kv)
		default:
			t.Fatalf("%s: %s %s: no API type to check it against", dir, gvk, r.GetName())
		}
		if err := yaml.UnmarshalStrict(b, obj); err != nil {
			t.Fatalf("%s: %s %s does not decode strictly: %v", dir, gvk, r.GetName(), err)
		}
		switch v := obj.(type) {
		case *appsv1.Deployment:
			o.deployments[v.Name] = v
		case *corev1.ConfigMap:
			o.configMaps[v.Name] = v
		}
	}
	return o
}

func TestOverlays(t *testing.T) {
	for _, overlay := range []string{"dev", "prod"} {
		t.Run(overlay, func(t *testing.T) {
			o := render(t, filepath.Join("overlays", overlay))
			for obj, ns := range o.objectNamespace {
				if want := Namespace; !strings.HasPrefix(obj, "Namespace/") && ns != want {
					t.Errorf("%s: namespace %q, want %s", obj, ns, want)
				}
			}
			if len(o.namespaces) != 1 || o.namespaces[0].Name != Namespace ||
				o.namespaces[0].Labels["pod-security.kubernetes.io/enforce"] != "restricted" {
				t.Errorf("want one Namespace %s enforcing the restricted Pod Security Standard", Namespace)
			}
			checkDeployments(t, o)
			checkEnv(t, o)
			checkServices(t, o)
			checkNetworkPolicies(t, o)
			prod := overlay == "prod"
			checkPDBs(t, o, prod)
			checkAutoscaling(t, o, prod)
			checkServiceMonitors(t, o, prod)
			for _, d := range o.deployments {
				want := int32(1)
				if prod && d.Name != "metalearn" {
					want = 2
				}
				if d.Spec.Replicas == nil || *d.Spec.Replicas != want {
					t.Errorf("%s: replicas %v, want %d", d.Name, d.Spec.Replicas, want)
				}
			}
		})
	}
}

func container(t *testing.T, d *appsv1.Deployment) *corev1.Container {
	t.Helper()
	if n := len(d.Spec.Template.Spec.Containers); n != 1 {
		t.Fatalf("%s: %d containers, want 1", d.Name, n)
	}
	return &d.Spec.Template.Spec.Containers[0]
}

func checkDeployments(t *testing.T, o *objects) {
	if len(o.deployments) != len(Services) {
		t.Errorf("%d Deployments, want one per service (%d)", len(o.deployments), len(Services))
	}
	for _, s := range Services {
		d := o.deployments[s.Name]
		if d == nil {
			t.Errorf("no Deployment for service %s", s.Name)
			continue
		}
		if d.Namespace != Namespace {
			t.Errorf("%s: namespace %q", d.Name, d.Namespace)
		}
		pod := d.Spec.Template.Spec
		sel, err := metav1.LabelSelectorAsSelector(d.Spec.Selector)
		if err != nil || !sel.Matches(labels.Set(d.Spec.Template.Labels)) {
			t.Errorf("%s: selector does not select its pods (%v)", d.Name, err)
		}
		c := container(t, d)
		if img, tag, _ := strings.Cut(c.Image, ":"); img != Image || tag == "" || tag == "latest" {
			t.Errorf("%s: image %q, want %s:<version>", d.Name, c.Image, Image)
		}
		if want := []string{"/usr/local/bin/" + s.Name}; !slices.Equal(c.Command, want) {
			t.Errorf("%s: command %q, want %q", d.Name, c.Command, want)
		}
		checkProbe(t, d.Name, "readiness", c.ReadinessProbe, "/readyz", c)
		checkProbe(t, d.Name, "liveness", c.LivenessProbe, "/healthz", c)
		for _, r := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
			lim, ok := c.Resources.Limits[r]
			req, rok := c.Resources.Requests[r]
			if !ok || !rok || lim.IsZero() || req.Cmp(lim) > 0 {
				t.Errorf("%s: %s request %v limit %v: both needed, request ≤ limit", d.Name, r, req.String(), lim.String())
			}
		}
		psc, csc := pod.SecurityContext, c.SecurityContext
		if psc == nil || psc.RunAsNonRoot == nil || !*psc.RunAsNonRoot || psc.RunAsUser == nil || *psc.RunAsUser == 0 {
			t.Errorf("%s: pod must run as a non-root uid", d.Name)
		}
		if csc == nil || csc.AllowPrivilegeEscalation == nil || *csc.AllowPrivilegeEscalation ||
			csc.ReadOnlyRootFilesystem == nil || !*csc.ReadOnlyRootFilesystem ||
			csc.Capabilities == nil || !slices.Contains(csc.Capabilities.Drop, "ALL") {
			t.Errorf("%s: container needs no privilege escalation, a read-only root and no capabilities", d.Name)
		}
		if g := pod.TerminationGracePeriodSeconds; g == nil || *g < 30 {
			t.Errorf("%s: terminationGracePeriodSeconds %v: the drain needs at least 30 s", d.Name, g)
		}
		var memLimit bool
		for _, e := range c.Env {
			if e.Name == "GOMEMLIMIT" {
				f := e.ValueFrom
				memLimit = f != nil && f.ResourceFieldRef != nil && f.ResourceFieldRef.Resource == "limits.memory" &&
					f.ResourceFieldRef.Divisor.Cmp(resource.MustParse("1")) == 0
			}
		}
		if !memLimit {
			t.Errorf("%s: GOMEMLIMIT must come from limits.memory in bytes (divisor 1)", d.Name)
		}
		for _, m := range c.VolumeMounts {
			if !slices.ContainsFunc(pod.Volumes, func(v corev1.Volume) bool { return v.Name == m.Name }) {
				t.Errorf("%s: mount %s has no volume", d.Name, m.Name)
			}
		}
	}
}

func checkProbe(t *testing.T, name, kind string, p *corev1.Probe, path string, c *corev1.Container) {
	t.Helper()
	if p == nil || p.HTTPGet == nil || p.HTTPGet.Path != path {
		t.Errorf("%s: %s probe must GET %s", name, kind, path)
		return
	}
	if port := containerPort(c, p.HTTPGet.Port, corev1.ProtocolTCP); port != MetricsPort {
		t.Errorf("%s: %s probe port %s is %d, want %d", name, kind, p.HTTPGet.Port.String(), port, MetricsPort)
	}
}

// containerPort resolves a port name or number of c; 0 when c has no such port.
func containerPort(c *corev1.Container, p intstr.IntOrString, proto corev1.Protocol) int32 {
	for _, cp := range c.Ports {
		if (p.Type == intstr.String && cp.Name == p.StrVal || p.Type == intstr.Int && cp.ContainerPort == p.IntVal) && cp.Protocol == proto {
			return cp.ContainerPort
		}
	}
	return 0
}

// env is the environment of d's container: env entries with literal values, and the data of
// the ConfigMaps it reads with envFrom (later sources win, as in the kubelet).
func env(t *testing.T, o *objects, d *appsv1.Deployment) map[string]string {
	t.Helper()
	c := container(t, d)
	out := map[string]string{}
	for _, ef := range c.EnvFrom {
		if ef.ConfigMapRef == nil || ef.Prefix != "" {
			t.Errorf("%s: envFrom must name a ConfigMap without prefix", d.Name)
			continue
		}
		cm := o.configMaps[ef.ConfigMapRef.Name]
		if cm == nil {
			t.Errorf("%s: envFrom ConfigMap %s is not rendered", d.Name, ef.ConfigMapRef.Name)
			continue
		}
		for k, v := range cm.Data {
			out[k] = v
		}
	}
	for _, e := range c.Env {
		out[e.Name] = e.Value
	}
	return out
}

// runtimeEnv is read by the Go runtime rather than by midstream's code.
var runtimeEnv = map[string]bool{"GOMEMLIMIT": true, "GOMAXPROCS": true, "GOGC": true}

func checkEnv(t *testing.T, o *objects) {
	for _, s := range Services {
		d := o.deployments[s.Name]
		if d == nil {
			continue
		}
		read := envRead(t, s.Sources)
		e := env(t, o, d)
		for name := range e {
			if !read[name] && !runtimeEnv[name] {
				t.Errorf("%s: sets %s, which %s does not read (it reads %v)", s.Name, name, s.Main, sortedKeys(read))
			}
		}
		if e["MIDSTREAM_NATS_URL"] == "" {
			t.Errorf("%s: MIDSTREAM_NATS_URL unset", s.Name)
		}
		c := container(t, d)
		addrVar := "MIDSTREAM_HTTP_ADDR"
		if s.Name == "ingest" {
			addrVar = "MIDSTREAM_METRICS_ADDR"
			if p := addrPort(t, e["MIDSTREAM_INGEST_ADDR"]); p != QUICPort || containerPort(c, intstr.FromString("quic"), corev1.ProtocolUDP) != QUICPort {
				t.Errorf("ingest: MIDSTREAM_INGEST_ADDR port %d and container port quic/UDP must be %d", p, QUICPort)
			}
		} else if e["MIDSTREAM_PARTITIONS"] != strconv.Itoa(Partitions) {
			t.Errorf("%s: MIDSTREAM_PARTITIONS %q, the generated consumers are for %d", s.Name, e["MIDSTREAM_PARTITIONS"], Partitions)
		}
		if p := addrPort(t, e[addrVar]); p != MetricsPort || containerPort(c, intstr.FromString("metrics"), corev1.ProtocolTCP) != MetricsPort {
			t.Errorf("%s: %s port %d and container port metrics must be %d", s.Name, addrVar, p, MetricsPort)
		}
		// Settings that shape the consumers must agree with the generated NACK consumers.
		if c := s.Consume; c != nil {
			if v, ok := e["MIDSTREAM_"+strings.ToUpper(s.Name)+"_SOURCE"]; ok && v != c.Stream {
				t.Errorf("%s: source %s, the generated consumers read %s", s.Name, v, c.Stream)
			}
			if v, ok := e["MIDSTREAM_SCHEDULER_MAX_ACK_PENDING"]; ok && v != strconv.Itoa(c.MaxAckPending) {
				t.Errorf("%s: max ack pending %s, the generated consumers have %d", s.Name, v, c.MaxAckPending)
			}
		}
		// Files named by the environment must be inside a mounted volume.
		for _, v := range []string{"MIDSTREAM_NATS_CREDS", "MIDSTREAM_INGEST_CERT", "MIDSTREAM_INGEST_KEY", "MIDSTREAM_INGEST_TOKENS_FILE", "MIDSTREAM_INGEST_CERT_DIR"} {
			path := e[v]
			if path == "" {
				continue
			}
			if !slices.ContainsFunc(c.VolumeMounts, func(m corev1.VolumeMount) bool {
				return strings.HasPrefix(path, strings.TrimSuffix(m.MountPath, "/")+"/")
			}) {
				t.Errorf("%s: %s=%s is not under a mounted volume", s.Name, v, path)
			}
		}
	}
}

func addrPort(t *testing.T, addr string) int {
	t.Helper()
	_, p, err := net.SplitHostPort(addr)
	n, err2 := strconv.Atoi(p)
	if err != nil || err2 != nil {
		t.Errorf("address %q has no port", addr)
	}
	return n
}

// podsOf returns the Deployments whose pods sel selects.
func podsOf(o *objects, sel labels.Selector) []string {
	var out []string
	for name, d := range o.deployments {
		if sel.Matches(labels.Set(d.Spec.Template.Labels)) {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out
}

func selector(t *testing.T, ls *metav1.LabelSelector) labels.Selector {
	t.Helper()
	s, err := metav1.LabelSelectorAsSelector(ls)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func checkServices(t *testing.T, o *objects) {
	exposed := map[string]bool{}
	for _, s := range o.services {
		deps := podsOf(o, labels.SelectorFromSet(s.Spec.Selector))
		if len(s.Spec.Selector) == 0 || len(deps) != 1 {
			t.Errorf("Service %s selects Deployments %v, want exactly one", s.Name, deps)
			continue
		}
		c := container(t, o.deployments[deps[0]])
		for _, p := range s.Spec.Ports {
			if containerPort(c, p.TargetPort, p.Protocol) != p.Port {
				t.Errorf("Service %s port %s (%d/%s) does not reach a container port of the same number", s.Name, p.Name, p.Port, p.Protocol)
			}
			exposed[fmt.Sprintf("%s/%s/%d/%s", deps[0], p.Name, p.Port, p.Protocol)] = true
		}
	}
	for _, s := range Services {
		if !exposed[fmt.Sprintf("%s/metrics/%d/TCP", s.Name, MetricsPort)] {
			t.Errorf("%s: no Service exposes metrics on %d", s.Name, MetricsPort)
		}
	}
	if !exposed[fmt.Sprintf("ingest/quic/%d/UDP", QUICPort)] {
		t.Errorf("ingest: no Service exposes QUIC on UDP %d", QUICPort)
	}
}

// checkNetworkPolicies checks that every service's pods are isolated both ways and that the
// union of the rules selecting them allows exactly the flows it needs: metrics scrapes in,
// NATS and DNS out, and QUIC in for ingest.
func checkNetworkPolicies(t *testing.T, o *objects) {
	type flow struct {
		ingress bool
		proto   corev1.Protocol
		port    int
	}
	for _, s := range Services {
		d := o.deployments[s.Name]
		if d == nil {
			continue
		}
		var ingressIsolated, egressIsolated bool
		allowed := map[flow]bool{}
		for _, np := range o.netpols {
			if !selector(t, &np.Spec.PodSelector).Matches(labels.Set(d.Spec.Template.Labels)) {
				continue
			}
			for _, pt := range np.Spec.PolicyTypes {
				ingressIsolated = ingressIsolated || pt == networkingv1.PolicyTypeIngress
				egressIsolated = egressIsolated || pt == networkingv1.PolicyTypeEgress
			}
			for _, r := range np.Spec.Ingress {
				if len(r.From) == 0 || len(r.Ports) == 0 {
					t.Errorf("%s: NetworkPolicy %s allows ingress from anywhere or on any port", s.Name, np.Name)
				}
				for _, p := range r.Ports {
					allowed[flow{true, *p.Protocol, p.Port.IntValue()}] = true
				}
			}
			for _, r := range np.Spec.Egress {
				if len(r.To) == 0 || len(r.Ports) == 0 {
					t.Errorf("%s: NetworkPolicy %s allows egress to anywhere or on any port", s.Name, np.Name)
				}
				for _, p := range r.Ports {
					allowed[flow{false, *p.Protocol, p.Port.IntValue()}] = true
				}
			}
		}
		if !ingressIsolated || !egressIsolated {
			t.Errorf("%s: not isolated by NetworkPolicies (ingress %v, egress %v)", s.Name, ingressIsolated, egressIsolated)
		}
		want := map[flow]bool{{true, corev1.ProtocolTCP, MetricsPort}: true, {false, corev1.ProtocolTCP, NATSPort}: true,
			{false, corev1.ProtocolUDP, 53}: true, {false, corev1.ProtocolTCP, 53}: true}
		if s.Name == "ingest" {
			want[flow{true, corev1.ProtocolUDP, QUICPort}] = true
		}
		for f := range want {
			if !allowed[f] {
				t.Errorf("%s: NetworkPolicies do not allow %+v", s.Name, f)
			}
		}
		for f := range allowed {
			if !want[f] {
				t.Errorf("%s: NetworkPolicies allow %+v, which it does not need", s.Name, f)
			}
		}
	}
}

func checkPDBs(t *testing.T, o *objects, required bool) {
	covered := map[string]int{}
	for _, p := range o.pdbs {
		for _, d := range podsOf(o, selector(t, p.Spec.Selector)) {
			covered[d]++
			rep := *o.deployments[d].Spec.Replicas
			if p.Spec.MinAvailable != nil && p.Spec.MinAvailable.IntValue() >= int(rep) {
				t.Errorf("PDB %s: minAvailable %s with %d replicas blocks every eviction", p.Name, p.Spec.MinAvailable.String(), rep)
			}
		}
	}
	for _, s := range Services {
		if n := covered[s.Name]; required && n != 1 || !required && n > 1 {
			t.Errorf("%s: %d PodDisruptionBudgets", s.Name, n)
		}
	}
}

func checkAutoscaling(t *testing.T, o *objects, required bool) {
	scaled := map[string]int{}
	for _, h := range o.hpas {
		scaled[h.Spec.ScaleTargetRef.Name]++
	}
	for _, so := range o.scaledObjects {
		name := so.Spec.ScaleTargetRef.Name
		scaled[name]++
		if so.Name == "" || len(so.Spec.Triggers) == 0 || so.Spec.MaxReplicaCount == nil {
			t.Errorf("ScaledObject %s: name, triggers and maxReplicaCount are required", so.Name)
			continue
		}
		d := o.deployments[name]
		i := slices.IndexFunc(Services, func(s Service) bool { return s.Name == name })
		if d == nil || i < 0 {
			t.Errorf("ScaledObject %s targets %q, not a service Deployment", so.Name, name)
			continue
		}
		svc := Services[i]
		minR := int32(0)
		if so.Spec.MinReplicaCount != nil {
			minR = *so.Spec.MinReplicaCount
		}
		if maxR := *so.Spec.MaxReplicaCount; maxR > Partitions || minR < 1 || minR > maxR {
			t.Errorf("%s: replicas %d..%d: want 1 ≤ min ≤ max ≤ %d partitions (more replicas only stand by)", name, minR, maxR, Partitions)
		}
		var lag, cpu bool
		for _, tr := range so.Spec.Triggers {
			switch tr.Type {
			case "nats-jetstream":
				m := tr.Metadata
				lag = svc.Consume != nil && m["stream"] == svc.Consume.Stream && m["consumer"] == svc.Name+"-p0" &&
					m["account"] != "" && m["natsServerMonitoringEndpoint"] != "" && m["lagThreshold"] != ""
				if !lag {
					t.Errorf("%s: nats-jetstream trigger %v does not name its p0 consumer on %v", name, m, svc.Consume)
				}
			case "cpu":
				cpu = tr.MetricType == "Utilization" && tr.Metadata["value"] != ""
			default:
				t.Errorf("%s: unexpected trigger %s", name, tr.Type)
			}
		}
		if !cpu || svc.Consume != nil && !lag {
			t.Errorf("%s: needs a CPU trigger and, with partition consumers, a lag trigger", name)
		}
	}
	for name, n := range scaled {
		if n > 1 {
			t.Errorf("%s: %d autoscalers; KEDA's HPA must be the only one", name, n)
		}
	}
	if required {
		for _, s := range Services {
			if s.Consume != nil && scaled[s.Name] == 0 {
				t.Errorf("%s: no ScaledObject", s.Name)
			}
		}
	}
}

func checkServiceMonitors(t *testing.T, o *objects, required bool) {
	scraped := map[string]bool{}
	for _, sm := range o.serviceMonitors {
		if len(sm.Spec.Endpoints) == 0 || len(sm.Spec.Selector.MatchLabels)+len(sm.Spec.Selector.MatchExpressions) == 0 {
			t.Errorf("ServiceMonitor %s: selector and endpoints are required", sm.Name)
			continue
		}
		sel := selector(t, &sm.Spec.Selector)
		for _, s := range o.services {
			if !sel.Matches(labels.Set(s.Labels)) {
				continue
			}
			for _, ep := range sm.Spec.Endpoints {
				if ep.Path != "" && ep.Path != "/metrics" {
					t.Errorf("ServiceMonitor %s: path %s", sm.Name, ep.Path)
				}
				for _, p := range s.Spec.Ports {
					if p.Name == ep.Port && p.Port == MetricsPort {
						scraped[s.Spec.Selector["app.kubernetes.io/name"]] = true
					}
				}
			}
		}
	}
	if required {
		for _, s := range Services {
			if !scraped[s.Name] {
				t.Errorf("%s: no ServiceMonitor scrapes its metrics port", s.Name)
			}
		}
	}
}

func sortedKeys(m map[string]bool) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
