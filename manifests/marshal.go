package manifests

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"
)

// Marshal renders p as the YAML kubeadm writes to /etc/kubernetes/manifests:
// JSON field names, keys sorted, so the same pod always gives the same bytes.
func Marshal(p *corev1.Pod) ([]byte, error) {
	out, err := yaml.Marshal(p)
	if err != nil {
		return nil, fmt.Errorf("marshaling pod %s: %w", p.Name, err)
	}
	return out, nil
}
