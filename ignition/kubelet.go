package ignition

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/netip"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	kubeletv1beta1 "k8s.io/kubelet/config/v1beta1"
	"sigs.k8s.io/yaml"
)

// KubeletConfigPath is where kubelet reads its configuration.
const KubeletConfigPath = "/var/lib/kubelet/config.yaml"

// KubeletConfig returns /var/lib/kubelet/config.yaml for the cluster:
// kubeadm's defaults (systemd cgroups, static pods from
// /etc/kubernetes/manifests, x509 and webhook authentication, cluster DNS
// at the service range's tenth address) with the user's overrides merged
// field by field. Overrides are checked against the typed
// KubeletConfiguration: an unknown field is an error naming it.
func KubeletConfig(serviceCIDR, dnsDomain string, overrides map[string]any) ([]byte, error) {
	dns, err := nthAddress(serviceCIDR, 10)
	if err != nil {
		return nil, err
	}
	f, t := false, true
	base := kubeletv1beta1.KubeletConfiguration{
		TypeMeta:           metav1.TypeMeta{APIVersion: "kubelet.config.k8s.io/v1beta1", Kind: "KubeletConfiguration"},
		CgroupDriver:       "systemd",
		StaticPodPath:      "/etc/kubernetes/manifests",
		ClusterDomain:      dnsDomain,
		ClusterDNS:         []string{dns.String()},
		RotateCertificates: true,
		Authentication: kubeletv1beta1.KubeletAuthentication{
			Anonymous: kubeletv1beta1.KubeletAnonymousAuthentication{Enabled: &f},
			Webhook:   kubeletv1beta1.KubeletWebhookAuthentication{Enabled: &t},
			X509:      kubeletv1beta1.KubeletX509Authentication{ClientCAFile: "/etc/kubernetes/pki/ca.crt"},
		},
		Authorization:      kubeletv1beta1.KubeletAuthorization{Mode: kubeletv1beta1.KubeletAuthorizationModeWebhook},
		HealthzBindAddress: "127.0.0.1",
		ResolverConfig:     ptr("/run/systemd/resolve/resolv.conf"),
	}
	merged, err := mergeOverrides(base, overrides)
	if err != nil {
		return nil, err
	}
	return yaml.Marshal(merged)
}

func ptr[T any](v T) *T { return &v }

// mergeOverrides lays overrides over base through JSON and decodes the
// result strictly into the typed configuration.
func mergeOverrides(base kubeletv1beta1.KubeletConfiguration, overrides map[string]any) (*kubeletv1beta1.KubeletConfiguration, error) {
	b, err := json.Marshal(base)
	if err != nil {
		return nil, err
	}
	var doc map[string]any
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, err
	}
	deepMerge(doc, overrides)
	b, err = json.Marshal(doc)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var out kubeletv1beta1.KubeletConfiguration
	if err := dec.Decode(&out); err != nil {
		return nil, fmt.Errorf("spec.kubelet.config: %w", err)
	}
	return &out, nil
}

func deepMerge(dst, src map[string]any) {
	for k, v := range src {
		if sm, ok := v.(map[string]any); ok {
			if dm, ok := dst[k].(map[string]any); ok {
				deepMerge(dm, sm)
				continue
			}
		}
		dst[k] = v
	}
}

// nthAddress returns the n-th address of a range: 1 is the API server's
// service IP, 10 the cluster DNS service, as kubeadm chooses them.
func nthAddress(cidr string, n int) (netip.Addr, error) {
	p, err := netip.ParsePrefix(cidr)
	if err != nil {
		return netip.Addr{}, fmt.Errorf("parsing service CIDR: %w", err)
	}
	a := p.Masked().Addr()
	for i := 0; i < n; i++ {
		a = a.Next()
	}
	if !p.Contains(a) {
		return netip.Addr{}, fmt.Errorf("service CIDR %s has no address %d", cidr, n)
	}
	return a, nil
}
