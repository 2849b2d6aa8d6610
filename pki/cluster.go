package pki

import "github.com/slipway-dev/slipway/spec"

// FromCluster returns the PKI configuration of a loaded Cluster document.
func FromCluster(c *spec.Cluster) Config {
	s := c.Spec
	cfg := Config{
		ClusterName:  c.Metadata.Name,
		Endpoint:     s.ControlPlaneEndpoint,
		ServiceCIDR:  s.Networking.ServiceCIDR,
		DNSDomain:    s.Networking.DNSDomain,
		KeyAlgorithm: s.PKI.KeyAlgorithm,
		Mode:         s.PKI.Mode,
	}
	for _, n := range s.Nodes {
		cfg.Nodes = append(cfg.Nodes, Node{Name: n.Name, Address: n.Address, ControlPlane: n.Role == spec.RoleControlPlane})
	}
	return cfg
}
