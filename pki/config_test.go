package pki

import (
	"testing"
)

// TestResolveDerivedValues proves the derived SAN inputs: the first
// service IP (IPv4, IPv6, dual-stack) and IPv6 endpoints in URLs.
func TestResolveDerivedValues(t *testing.T) {
	cases := []struct {
		name, endpoint, cidr, wantIP, wantURL string
	}{
		{"default", "lb.example:6443", "", "10.96.0.1", "https://lb.example:6443"},
		{"unaligned cidr", "10.0.0.1:443", "10.100.5.7/16", "10.100.0.1", "https://10.0.0.1:443"},
		{"ipv6", "[fd00::1]:6443", "fd00:10:96::/112", "fd00:10:96::1", "https://[fd00::1]:6443"},
		{"dual-stack", "lb:6443", "10.96.0.0/12,fd00:10:96::/112", "10.96.0.1", "https://lb:6443"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := Config{Endpoint: c.endpoint, ServiceCIDR: c.cidr,
				Nodes: []Node{{Name: "cp", Address: "fd00::10", ControlPlane: true}}}
			r, err := cfg.resolve()
			if err != nil {
				t.Fatal(err)
			}
			if r.serviceIP.String() != c.wantIP || r.endpointURL() != c.wantURL {
				t.Errorf("service IP %s, URL %s; want %s, %s", r.serviceIP, r.endpointURL(), c.wantIP, c.wantURL)
			}
			if got := r.localURL(r.Nodes[0]); got != "https://[fd00::10]:6443" {
				t.Errorf("local URL %s", got)
			}
		})
	}
}
