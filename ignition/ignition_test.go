package ignition

import (
	"encoding/base64"
	"strings"
	"testing"

	"github.com/coreos/ignition/v2/config/v3_3/types"
	"sigs.k8s.io/yaml"
)

func fileByPath(cfg types.Config, p string) *types.File {
	for i := range cfg.Storage.Files {
		if cfg.Storage.Files[i].Path == p {
			return &cfg.Storage.Files[i]
		}
	}
	return nil
}

func contents(t *testing.T, f *types.File) string {
	t.Helper()
	src := *f.Contents.Source
	b, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(src, "data:;base64,"))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestBuildMergesButane(t *testing.T) {
	cfg, err := Build(Node{
		Name:              "cp1",
		Files:             []File{{Path: "/etc/kubernetes/pki/ca.key", Mode: 0o600, Contents: []byte("key")}},
		Units:             []Unit{{Name: "kubelet.service", Enabled: true, DropIns: map[string]string{"20-slipway.conf": "[Service]\n"}}},
		SSHAuthorizedKeys: []string{"ssh-ed25519 AAAA test"},
		Butane:            "variant: fcos\nversion: 1.4.0\nstorage:\n  files:\n    - path: /etc/motd\n      contents: {inline: hi}\n",
	})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Ignition.Version != "3.3.0" {
		t.Fatalf("version %s", cfg.Ignition.Version)
	}
	key := fileByPath(cfg, "/etc/kubernetes/pki/ca.key")
	if key == nil || *key.Mode != 0o600 || contents(t, key) != "key" {
		t.Fatalf("ca.key = %+v", key)
	}
	if h := fileByPath(cfg, "/etc/hostname"); h == nil || contents(t, h) != "cp1\n" {
		t.Fatal("hostname missing")
	}
	if fileByPath(cfg, "/etc/motd") == nil {
		t.Fatal("Butane snippet not merged")
	}
	if len(cfg.Passwd.Users) != 1 || cfg.Passwd.Users[0].Name != "core" {
		t.Fatalf("users = %+v", cfg.Passwd.Users)
	}
}

func TestBuildRefuses(t *testing.T) {
	cases := []struct {
		name string
		node Node
		want string
	}{
		{"relative path", Node{Name: "n", Files: []File{{Path: "etc/x", Mode: 0o644}}}, "validating Ignition config"},
		{"disk in snippet", Node{Name: "n", Butane: "variant: fcos\nversion: 1.4.0\nstorage:\n  disks:\n    - device: /dev/vdb\n      wipe_table: true\n"}, "storage.disks is not supported"},
		{"duplicate file", Node{Name: "n", Files: []File{{Path: "/etc/a", Mode: 0o644}, {Path: "/etc/a", Mode: 0o600}}}, "validating Ignition config"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Build(c.node)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want %q", err, c.want)
			}
		})
	}
}

func TestKubeletConfig(t *testing.T) {
	b, err := KubeletConfig("10.96.0.0/12", "cluster.local", map[string]any{"maxPods": 150, "evictionHard": map[string]any{"memory.available": "200Mi"}})
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := yaml.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	if doc["kind"] != "KubeletConfiguration" || doc["maxPods"] != float64(150) || doc["cgroupDriver"] != "systemd" {
		t.Fatalf("config = %v", doc)
	}
	if dns := doc["clusterDNS"].([]any); dns[0] != "10.96.0.10" {
		t.Fatalf("clusterDNS = %v", dns)
	}
	if _, err := KubeletConfig("10.96.0.0/12", "cluster.local", map[string]any{"maxPodz": 1}); err == nil || !strings.Contains(err.Error(), "maxPodz") {
		t.Fatalf("unknown override accepted: %v", err)
	}
}
