package manifests

import (
	"errors"
	"fmt"
	"path"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
)

// ErrExternalEtcd is returned by Etcd and EtcdFlags when Config.ExternalEtcd
// is set: there is no etcd pod to build.
var ErrExternalEtcd = errors.New("etcd is external")

// Etcd returns the stacked etcd static pod.
func Etcd(cfg Config) (*corev1.Pod, error) {
	e, err := resolve(cfg)
	if err != nil {
		return nil, err
	}
	if external(e) {
		return nil, fmt.Errorf("building %s: %w", ComponentEtcd, ErrExternalEtcd)
	}
	return etcdPod(e)
}

// EtcdFlags returns etcd's flags ("--name=value", sorted, without the
// leading "etcd") for the configured etcd version: exactly the command line
// of the etcd pod.
func EtcdFlags(cfg Config) ([]string, error) {
	e, err := resolve(cfg)
	if err != nil {
		return nil, err
	}
	if external(e) {
		return nil, fmt.Errorf("building %s flags: %w", ComponentEtcd, ErrExternalEtcd)
	}
	return etcdCommandFlags(e)
}

func etcdCommandFlags(e env) ([]string, error) {
	flags, err := buildFlags(etcdFlags, e.etcdV, e, e.cfg.ExtraArgs[ComponentEtcd])
	if err != nil {
		return nil, fmt.Errorf("building %s flags: %w", ComponentEtcd, err)
	}
	return flags, nil
}

// etcdProbePaths are the etcd probes of each style.
var etcdProbePaths = map[etcdProbeStyle]probePaths{
	etcdProbeHealth: {liveness: "/health?exclude=NOSPACE&serializable=true", startup: "/health?serializable=false"},
	etcdProbeLivez:  {liveness: "/livez", readiness: "/readyz", startup: "/readyz"},
}

func etcdPod(e env) (*corev1.Pod, error) {
	flags, err := etcdCommandFlags(e)
	if err != nil {
		return nil, err
	}
	vols, mounts := volumes([]mount{
		{name: "etcd-certs", path: path.Join(e.cfg.PKIDir, "etcd"), pathType: corev1.HostPathDirectoryOrCreate},
		{name: "etcd-data", path: e.cfg.EtcdDataDir, pathType: corev1.HostPathDirectoryOrCreate},
	})
	c := corev1.Container{
		Name:      ComponentEtcd,
		Image:     e.cfg.Images.Etcd,
		Command:   append([]string{ComponentEtcd}, flags...),
		Resources: requests("100m", "100Mi"),
		// kubeadm lists the data mount first; componentPod sorts, which
		// gives the same order.
		VolumeMounts: mounts,
	}
	setProbes(&c, etcdProbeEndpoint(e), etcdProbePaths[probeStyle(e.kube, e.etcd, e.etcdV)])
	annotations := map[string]string{AnnotationEtcdClientURLs: clientURL(e)}
	return componentPod(c, vols, annotations), nil
}

// externalEtcdMounts mounts the directories of the external etcd client
// credentials that no other volume covers, as etcd-certs-0, -1, ... in path
// order (kubeadm's getEtcdCertVolumes).
func externalEtcdMounts(e env) []mount {
	if !external(e) {
		return nil
	}
	x := e.cfg.ExternalEtcd
	covered := []string{e.cfg.PKIDir}
	for _, m := range caCertMounts(e) {
		covered = append(covered, m.path)
	}
	var dirs []string
	for _, file := range []string{x.CAFile, x.CertFile, x.KeyFile} {
		if file == "" || underAny(path.Dir(file), covered) {
			continue
		}
		dirs = addDir(dirs, path.Dir(file))
	}
	sort.Strings(dirs)
	ms := make([]mount, len(dirs))
	for i, d := range dirs {
		ms[i] = mount{name: fmt.Sprintf("etcd-certs-%d", i), path: d, pathType: corev1.HostPathDirectoryOrCreate, readOnly: true}
	}
	return ms
}

// addDir adds dir to dirs unless a parent is there; it drops dir's children.
func addDir(dirs []string, dir string) []string {
	if underAny(dir, dirs) {
		return dirs
	}
	kept := dirs[:0]
	for _, d := range dirs {
		if !under(d, dir) {
			kept = append(kept, d)
		}
	}
	return append(kept, dir)
}

func underAny(dir string, parents []string) bool {
	for _, p := range parents {
		if under(dir, p) {
			return true
		}
	}
	return false
}

// under reports whether dir is parent or below it.
func under(dir, parent string) bool {
	return dir == parent || strings.HasPrefix(dir, strings.TrimSuffix(parent, "/")+"/")
}
