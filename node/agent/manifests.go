package agent

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"sigs.k8s.io/yaml"

	"github.com/slipway-dev/slipway/internal/fileutil"
)

// manifestSwap records static-pod manifests swapped in by an upgrade, so
// a rollback (by command or by the health gate) can restore them.
type manifestSwap struct {
	From, To string
	Time     time.Time
	Backup   string   // directory holding the replaced manifests
	Replaced []string // file names replaced (their old content is in Backup)
	Added    []string // file names that did not exist before
}

func (n *Node) swapRecord() string { return n.path(filepath.Join(StateDir, "manifests", "swap.json")) }

// swapManifests puts every manifest of dir into the static-pod directory
// by atomic rename, like kubeadm: the old ones are copied to a backup
// directory on STATE first, and the swap is recorded before any rename.
// The kubelet ignores the hidden temporary files.
func (n *Node) swapManifests(dir, from, to string) ([]string, error) {
	names, err := readManifests(dir)
	if err != nil {
		return nil, err
	}
	live := n.path(ManifestsDir)
	s := manifestSwap{From: from, To: to, Time: time.Now().UTC()}
	s.Backup = n.path(filepath.Join(StateDir, "manifests", "backup-"+from+"-"+s.Time.Format("20060102T150405Z")))
	if err := os.MkdirAll(s.Backup, 0o700); err != nil {
		return nil, err
	}
	for _, name := range names {
		old, err := os.ReadFile(filepath.Join(live, name))
		switch {
		case errors.Is(err, fs.ErrNotExist):
			s.Added = append(s.Added, name)
			continue
		case err != nil:
			return nil, err
		}
		if err := fileutil.WriteAtomic(filepath.Join(s.Backup, name), old, 0o600); err != nil {
			return nil, err
		}
		s.Replaced = append(s.Replaced, name)
	}
	b, _ := json.MarshalIndent(s, "", "  ")
	if err := fileutil.WriteAtomic(n.swapRecord(), b, 0o600); err != nil {
		return nil, err
	}
	for _, name := range names {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			return nil, err
		}
		if err := fileutil.WriteAtomic(filepath.Join(live, name), b, 0o600); err != nil {
			return nil, err
		}
		n.logf("manifests: %s swapped in (backup in %s)", name, s.Backup)
	}
	return names, nil
}

// readManifests lists dir's static-pod manifests and checks each is a Pod.
func readManifests(dir string) ([]string, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("reading the new manifests: %w", err)
	}
	var names []string
	for _, e := range ents {
		ext := filepath.Ext(e.Name())
		if !e.Type().IsRegular() || strings.HasPrefix(e.Name(), ".") || (ext != ".yaml" && ext != ".yml" && ext != ".json") {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			return nil, err
		}
		var head struct{ APIVersion, Kind string }
		if err := yaml.Unmarshal(b, &head); err != nil {
			return nil, fmt.Errorf("%s: %w", filepath.Join(dir, e.Name()), err)
		}
		if head.APIVersion != "v1" || head.Kind != "Pod" {
			return nil, fmt.Errorf("%s: not a static pod (apiVersion v1, kind Pod), found %s %s", filepath.Join(dir, e.Name()), head.APIVersion, head.Kind)
		}
		names = append(names, e.Name())
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("%s holds no static-pod manifests (*.yaml)", dir)
	}
	slices.Sort(names)
	return names, nil
}

func (n *Node) pendingSwap() (*manifestSwap, error) {
	b, err := os.ReadFile(n.swapRecord())
	if err != nil {
		return nil, err
	}
	var s manifestSwap
	return &s, json.Unmarshal(b, &s)
}

// restoreManifests undoes the pending swap, if any: the replaced
// manifests come back by atomic rename and the added ones go.
func (n *Node) restoreManifests() error {
	s, err := n.pendingSwap()
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	} else if err != nil {
		return err
	}
	live := n.path(ManifestsDir)
	for _, name := range s.Replaced {
		b, err := os.ReadFile(filepath.Join(s.Backup, name))
		if err != nil {
			return err
		}
		if err := fileutil.WriteAtomic(filepath.Join(live, name), b, 0o600); err != nil {
			return err
		}
	}
	for _, name := range s.Added {
		if err := os.Remove(filepath.Join(live, name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	n.logf("manifests: restored the %s manifests (%d replaced, %d removed)", s.From, len(s.Replaced), len(s.Added))
	return os.Rename(n.swapRecord(), n.swapRecord()+".restored")
}

// commitManifests forgets the pending swap once its version is healthy.
func (n *Node) commitManifests(version string) error {
	s, err := n.pendingSwap()
	if err != nil || s.To != version {
		return nil
	}
	return os.Rename(n.swapRecord(), n.swapRecord()+".committed")
}
