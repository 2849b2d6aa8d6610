package manifests

import (
	"sort"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// Pod-level constants kubeadm sets (cmd/kubeadm/app/util/staticpod).
const (
	priorityClassName = "system-node-critical"
	// systemNodeCritical is the priority value of that class.
	systemNodeCritical = int32(2000001000)

	// AnnotationAPIServerEndpoint carries the apiserver's advertise address
	// and port on its pod.
	AnnotationAPIServerEndpoint = "kubeadm.kubernetes.io/kube-apiserver.advertise-address.endpoint"
	// AnnotationEtcdClientURLs carries etcd's advertised client URL on its pod.
	AnnotationEtcdClientURLs = "kubeadm.kubernetes.io/etcd.advertise-client-urls"
)

// componentPod wraps one container the way kubeadm's ComponentPod does.
func componentPod(c corev1.Container, volumes []corev1.Volume, annotations map[string]string) *corev1.Pod {
	priority := systemNodeCritical
	sort.Slice(volumes, func(i, j int) bool { return volumes[i].Name < volumes[j].Name })
	sort.Slice(c.VolumeMounts, func(i, j int) bool { return c.VolumeMounts[i].Name < c.VolumeMounts[j].Name })
	c.ImagePullPolicy = corev1.PullIfNotPresent
	return &corev1.Pod{
		TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"},
		ObjectMeta: metav1.ObjectMeta{
			Name:        c.Name,
			Namespace:   metav1.NamespaceSystem,
			Labels:      map[string]string{"component": c.Name, "tier": "control-plane"},
			Annotations: annotations,
		},
		Spec: corev1.PodSpec{
			Containers:        []corev1.Container{c},
			Priority:          &priority,
			PriorityClassName: priorityClassName,
			HostNetwork:       true,
			Volumes:           volumes,
			SecurityContext: &corev1.PodSecurityContext{
				SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
			},
		},
	}
}

// requests is a resource request of cpu and, if given, memory.
func requests(cpu, memory string) corev1.ResourceRequirements {
	list := corev1.ResourceList{corev1.ResourceCPU: resource.MustParse(cpu)}
	if memory != "" {
		list[corev1.ResourceMemory] = resource.MustParse(memory)
	}
	return corev1.ResourceRequirements{Requests: list}
}

// probeKind is liveness, readiness or startup, each with kubeadm's timings.
type probeKind int

const (
	liveness probeKind = iota
	readiness
	startup
)

// probeTimings are kubeadm's LivenessProbe, ReadinessProbe and StartupProbe
// settings; startup allows 240 s (ControlPlaneComponentHealthCheck 4m / 10 s).
var probeTimings = map[probeKind]struct{ initialDelay, timeout, failureThreshold, period int32 }{
	liveness:  {initialDelay: 10, timeout: 15, failureThreshold: 8, period: 10},
	readiness: {initialDelay: 0, timeout: 15, failureThreshold: 3, period: 1},
	startup:   {initialDelay: 10, timeout: 15, failureThreshold: 24, period: 10},
}

// endpoint is where a component's probes go.
type endpoint struct {
	host   string
	port   int32
	scheme corev1.URIScheme
}

// probe is an HTTP GET probe of kind k on path at ep; an empty path is no
// probe.
func probe(k probeKind, ep endpoint, path string) *corev1.Probe {
	if path == "" {
		return nil
	}
	t := probeTimings[k]
	return &corev1.Probe{
		ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{
			Host: ep.host, Path: path, Port: intstr.FromInt32(ep.port), Scheme: ep.scheme,
		}},
		InitialDelaySeconds: t.initialDelay,
		TimeoutSeconds:      t.timeout,
		FailureThreshold:    t.failureThreshold,
		PeriodSeconds:       t.period,
	}
}

// probePaths are the liveness, readiness and startup paths of a component;
// an empty path means no such probe.
type probePaths struct{ liveness, readiness, startup string }

// setProbes sets c's probes from paths at ep.
func setProbes(c *corev1.Container, ep endpoint, p probePaths) {
	c.LivenessProbe = probe(liveness, ep, p.liveness)
	c.ReadinessProbe = probe(readiness, ep, p.readiness)
	c.StartupProbe = probe(startup, ep, p.startup)
}

// mount is a hostPath volume and its mount in the container.
type mount struct {
	name, path string
	pathType   corev1.HostPathType
	readOnly   bool
}

// volumes turns mounts into the pod's volumes and the container's mounts.
func volumes(ms []mount) ([]corev1.Volume, []corev1.VolumeMount) {
	vols := make([]corev1.Volume, len(ms))
	mounts := make([]corev1.VolumeMount, len(ms))
	for i, m := range ms {
		pathType := m.pathType
		vols[i] = corev1.Volume{Name: m.name, VolumeSource: corev1.VolumeSource{
			HostPath: &corev1.HostPathVolumeSource{Path: m.path, Type: &pathType},
		}}
		mounts[i] = corev1.VolumeMount{Name: m.name, MountPath: m.path, ReadOnly: m.readOnly}
	}
	return vols, mounts
}
