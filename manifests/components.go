package manifests

import (
	"fmt"
	"net"
	"net/url"
	"path"
	"strconv"

	corev1 "k8s.io/api/core/v1"
)

// resolve validates cfg and selects its table rows.
func resolve(cfg Config) (env, error) {
	if err := cfg.Validate(); err != nil {
		return env{}, err
	}
	kube, kubeV, _ := lookupKube(cfg.KubernetesVersion)
	cfg = cfg.withDefaults(kube)
	etcd, etcdV, err := lookupEtcd(cfg.EtcdVersion)
	if err != nil {
		return env{}, fmt.Errorf("resolving etcd version: %w", err)
	}
	return env{cfg: cfg, kube: kube, kubeV: kubeV, etcd: etcd, etcdV: etcdV}, nil
}

// ControlPlane returns the node's static pods: etcd (only when stacked, that
// is ExternalEtcd is nil), kube-apiserver, kube-controller-manager and
// kube-scheduler, in that order.
func ControlPlane(cfg Config) ([]*corev1.Pod, error) {
	e, err := resolve(cfg)
	if err != nil {
		return nil, err
	}
	builders := []func(env) (*corev1.Pod, error){apiServerPod, controllerManagerPod, schedulerPod}
	if stacked(e) {
		builders = append([]func(env) (*corev1.Pod, error){etcdPod}, builders...)
	}
	pods := make([]*corev1.Pod, 0, len(builders))
	for _, build := range builders {
		p, err := build(e)
		if err != nil {
			return nil, err
		}
		pods = append(pods, p)
	}
	return pods, nil
}

// APIServer returns the kube-apiserver static pod.
func APIServer(cfg Config) (*corev1.Pod, error) { return one(cfg, apiServerPod) }

// ControllerManager returns the kube-controller-manager static pod.
func ControllerManager(cfg Config) (*corev1.Pod, error) { return one(cfg, controllerManagerPod) }

// Scheduler returns the kube-scheduler static pod.
func Scheduler(cfg Config) (*corev1.Pod, error) { return one(cfg, schedulerPod) }

func one(cfg Config, build func(env) (*corev1.Pod, error)) (*corev1.Pod, error) {
	e, err := resolve(cfg)
	if err != nil {
		return nil, err
	}
	return build(e)
}

// caCertMounts are the system trust stores kubeadm mounts read-only into the
// apiserver and controller manager (the Debian set; kubeadm adds each that
// exists on the host, and /etc/pki on RPM systems), plus the PKI directory.
func caCertMounts(e env) []mount {
	return []mount{
		{name: "ca-certs", path: "/etc/ssl/certs", pathType: corev1.HostPathDirectoryOrCreate, readOnly: true},
		{name: "etc-ca-certificates", path: "/etc/ca-certificates", pathType: corev1.HostPathDirectoryOrCreate, readOnly: true},
		{name: "k8s-certs", path: e.cfg.PKIDir, pathType: corev1.HostPathDirectoryOrCreate, readOnly: true},
		{name: "usr-local-share-ca-certificates", path: "/usr/local/share/ca-certificates", pathType: corev1.HostPathDirectoryOrCreate, readOnly: true},
		{name: "usr-share-ca-certificates", path: "/usr/share/ca-certificates", pathType: corev1.HostPathDirectoryOrCreate, readOnly: true},
	}
}

func apiServerPod(e env) (*corev1.Pod, error) {
	flags, err := buildFlags(apiServerFlags, e.kubeV, e, e.cfg.ExtraArgs[ComponentAPIServer])
	if err != nil {
		return nil, fmt.Errorf("building %s: %w", ComponentAPIServer, err)
	}
	vols, mounts := volumes(append(caCertMounts(e), externalEtcdMounts(e)...))
	c := corev1.Container{
		Name:         ComponentAPIServer,
		Image:        e.cfg.Images.APIServer,
		Command:      append([]string{ComponentAPIServer}, flags...),
		VolumeMounts: mounts,
		Resources:    requests("250m", ""),
	}
	ep := endpoint{host: e.address(), port: APIServerPort, scheme: corev1.URISchemeHTTPS}
	setProbes(&c, ep, probePaths{liveness: "/livez", readiness: "/readyz", startup: "/livez"})
	annotations := map[string]string{AnnotationAPIServerEndpoint: hostPort(e.address(), APIServerPort)}
	return componentPod(c, vols, annotations), nil
}

func controllerManagerPod(e env) (*corev1.Pod, error) {
	flags, err := buildFlags(controllerManagerFlags, e.kubeV, e, e.cfg.ExtraArgs[ComponentControllerManager])
	if err != nil {
		return nil, fmt.Errorf("building %s: %w", ComponentControllerManager, err)
	}
	vols, mounts := volumes(append(caCertMounts(e),
		mount{name: "flexvolume-dir", path: "/usr/libexec/kubernetes/kubelet-plugins/volume/exec", pathType: corev1.HostPathDirectoryOrCreate},
		mount{name: "kubeconfig", path: path.Join(KubernetesDir, "controller-manager.conf"), pathType: corev1.HostPathFileOrCreate, readOnly: true},
	))
	c := corev1.Container{
		Name:         ComponentControllerManager,
		Image:        e.cfg.Images.ControllerManager,
		Command:      append([]string{ComponentControllerManager}, flags...),
		VolumeMounts: mounts,
		Resources:    requests("200m", ""),
	}
	ep := endpoint{host: bindAddress(e, ComponentControllerManager), port: ControllerManagerPort, scheme: corev1.URISchemeHTTPS}
	setProbes(&c, ep, probePaths{liveness: "/healthz", startup: "/healthz"})
	return componentPod(c, vols, nil), nil
}

func schedulerPod(e env) (*corev1.Pod, error) {
	flags, err := buildFlags(schedulerFlags, e.kubeV, e, e.cfg.ExtraArgs[ComponentScheduler])
	if err != nil {
		return nil, fmt.Errorf("building %s: %w", ComponentScheduler, err)
	}
	vols, mounts := volumes([]mount{
		{name: "kubeconfig", path: path.Join(KubernetesDir, "scheduler.conf"), pathType: corev1.HostPathFileOrCreate, readOnly: true},
	})
	c := corev1.Container{
		Name:         ComponentScheduler,
		Image:        e.cfg.Images.Scheduler,
		Command:      append([]string{ComponentScheduler}, flags...),
		VolumeMounts: mounts,
		Resources:    requests("100m", ""),
	}
	ep := endpoint{host: bindAddress(e, ComponentScheduler), port: SchedulerPort, scheme: corev1.URISchemeHTTPS}
	setProbes(&c, ep, probePaths{liveness: "/healthz", startup: "/healthz"})
	return componentPod(c, vols, nil), nil
}

// bindAddress is where the controller manager or scheduler is probed: its
// --bind-address override unless unspecified, else 127.0.0.1 (kubeadm's
// getProbeAddress).
func bindAddress(e env, component string) string {
	if v, ok := e.extra(component, "bind-address"); ok {
		if ip := net.ParseIP(v); ip != nil && !ip.IsUnspecified() {
			return v
		}
	}
	return "127.0.0.1"
}

// etcdProbeEndpoint is the first --listen-metrics-urls override, else the
// loopback metrics port over HTTP (kubeadm's GetEtcdProbeEndpoint).
func etcdProbeEndpoint(e env) endpoint {
	def := endpoint{host: e.loopback(), port: EtcdMetricsPort, scheme: corev1.URISchemeHTTP}
	v, ok := e.extra(ComponentEtcd, "listen-metrics-urls")
	if !ok {
		return def
	}
	u, err := url.Parse(firstOf(v))
	if err != nil || u.Hostname() == "" {
		return def
	}
	ep := endpoint{host: u.Hostname(), port: EtcdMetricsPort, scheme: corev1.URISchemeHTTP}
	if u.Scheme == "https" {
		ep.scheme = corev1.URISchemeHTTPS
	}
	if p, err := strconv.Atoi(u.Port()); err == nil {
		ep.port = int32(p)
	}
	return ep
}

func firstOf(list string) string {
	for i := range len(list) {
		if list[i] == ',' {
			return list[:i]
		}
	}
	return list
}
