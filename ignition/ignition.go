// Package ignition assembles per-node Ignition configs (spec 3.3.0, what
// Debian's Ignition 2.14 reads): files with modes and owners, systemd units
// to enable, users with SSH keys, and the user's Butane snippet merged on
// top. Every config is validated with Ignition's own validator before it
// is returned. Storage is limited to files, directories and links, since
// first boot runs only Ignition's fetch and files stages.
package ignition

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	ign33 "github.com/coreos/ignition/v2/config/v3_3"
	"github.com/coreos/ignition/v2/config/v3_3/types"

	"github.com/slipway-dev/slipway/spec"
)

// Version is the Ignition spec version of every generated config.
const Version = "3.3.0"

// File is one file of a node.
type File struct {
	// Path is absolute, e.g. /etc/kubernetes/pki/ca.crt.
	Path string
	// Mode is the permission; private keys and manifests are 0600.
	Mode int
	// Contents are the bytes written.
	Contents []byte
}

// Unit is a systemd unit to enable, optionally with drop-ins.
type Unit struct {
	Name     string
	Enabled  bool
	DropIns  map[string]string // name → contents
	Contents string            // a whole unit; empty keeps the installed one
}

// Node is everything one node's config carries.
type Node struct {
	// Name becomes /etc/hostname.
	Name  string
	Files []File
	Units []Unit
	// SSHAuthorizedKeys go to the core user (created by Ignition).
	SSHAuthorizedKeys []string
	// Butane is the user's snippet, merged over the generated config.
	Butane string
}

// Build assembles and validates the node's config.
func Build(n Node) (types.Config, error) {
	cfg := types.Config{Ignition: types.Ignition{Version: Version}}
	files := append([]File{{Path: "/etc/hostname", Mode: 0o644, Contents: []byte(n.Name + "\n")}}, n.Files...)
	sort.SliceStable(files, func(i, j int) bool { return files[i].Path < files[j].Path })
	for _, f := range files {
		cfg.Storage.Files = append(cfg.Storage.Files, file(f))
	}
	for _, u := range n.Units {
		cfg.Systemd.Units = append(cfg.Systemd.Units, unit(u))
	}
	if len(n.SSHAuthorizedKeys) > 0 {
		user := types.PasswdUser{Name: "core"}
		for _, k := range n.SSHAuthorizedKeys {
			user.SSHAuthorizedKeys = append(user.SSHAuthorizedKeys, types.SSHAuthorizedKey(k))
		}
		cfg.Passwd.Users = append(cfg.Passwd.Users, user)
	}
	if n.Butane != "" {
		snippet, problems := spec.TranslateButane(n.Butane)
		for _, p := range problems {
			if !p.Warning {
				return types.Config{}, fmt.Errorf("node %s: Butane snippet line %d: %s", n.Name, p.Line, p.Message)
			}
		}
		cfg = ign33.Merge(cfg, snippet)
	}
	if err := check(cfg); err != nil {
		return types.Config{}, fmt.Errorf("node %s: %w", n.Name, err)
	}
	return cfg, nil
}

// Marshal renders a config as indented JSON.
func Marshal(cfg types.Config) ([]byte, error) {
	b, err := json.MarshalIndent(cfg, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// check runs Ignition's parser and validator on the config as it will be
// written. (Storage first boot cannot apply only ever comes from a Butane
// snippet, which spec.TranslateButane has refused already.)
func check(cfg types.Config) error {
	b, err := json.Marshal(cfg)
	if err != nil {
		return err
	}
	if _, r, err := ign33.Parse(b); err != nil {
		return fmt.Errorf("validating Ignition config: %v: %s", err, strings.TrimSpace(r.String()))
	}
	return nil
}

func file(f File) types.File {
	src := "data:;base64," + base64.StdEncoding.EncodeToString(f.Contents)
	mode := f.Mode
	overwrite := true
	root := 0
	return types.File{
		Node: types.Node{Path: f.Path, Overwrite: &overwrite, User: types.NodeUser{ID: &root}, Group: types.NodeGroup{ID: &root}},
		FileEmbedded1: types.FileEmbedded1{
			Mode:     &mode,
			Contents: types.Resource{Source: &src},
		},
	}
}

func unit(u Unit) types.Unit {
	enabled := u.Enabled
	out := types.Unit{Name: u.Name, Enabled: &enabled}
	if u.Contents != "" {
		c := u.Contents
		out.Contents = &c
	}
	names := make([]string, 0, len(u.DropIns))
	for name := range u.DropIns {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		c := u.DropIns[name]
		out.Dropins = append(out.Dropins, types.Dropin{Name: name, Contents: &c})
	}
	return out
}

// Validate checks a config file as slipway nodes apply it: Ignition's own
// parser and validator for spec 3.3.0 (the newest Debian's Ignition 2.14
// reads), and no disks, RAID, filesystems or LUKS, which first boot does
// not apply (only the fetch and files stages run).
func Validate(b []byte) error {
	cfg, r, err := ign33.Parse(b)
	if err != nil {
		return fmt.Errorf("validating Ignition config: %v: %s", err, strings.TrimSpace(r.String()))
	}
	st := cfg.Storage
	if len(st.Disks)+len(st.Raid)+len(st.Filesystems)+len(st.Luks) > 0 {
		return fmt.Errorf("validating Ignition config: storage.disks, raid, filesystems and luks are not applied on slipway nodes (only files, directories and links)")
	}
	return nil
}
