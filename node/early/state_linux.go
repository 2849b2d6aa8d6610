//go:build linux

package early

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"golang.org/x/sys/unix"
)

// stateMount is where STATE is mounted before it moves to Root/var.
const stateMount = "/run/state"

// mountState mounts STATE, seeds it with the image's /var on first boot,
// and moves it over Root/var.
func (b *boot) mountState(context.Context) (string, error) {
	dev, fstype, err := b.device(LabelState)
	if err != nil {
		return "", err
	}
	if fstype != "ext4" {
		return "", fmt.Errorf("STATE (%s) holds %s, not ext4", dev, fstype)
	}
	if err := mountAt(dev, stateMount, "ext4", unix.MS_NOATIME, ""); err != nil {
		return "", err
	}
	b.plan = PlanBoot(exists(stateMount, VarSeededMarker), exists(stateMount, FirstBootMarker))
	details := fmt.Sprintf("ext4 %s on /var, %s", dev, b.plan)
	if b.plan.SeedVar {
		n, err := CopyTree(Root+"/var", stateMount)
		if err != nil {
			return "", fmt.Errorf("copying the image's /var to STATE: %w", err)
		}
		if err := writeMarker(stateMount, VarSeededMarker); err != nil {
			return "", err
		}
		details += fmt.Sprintf(" (%d entries)", n)
	}
	if err := unix.Mount(stateMount, Root+"/var", "", unix.MS_MOVE, ""); err != nil {
		return "", fmt.Errorf("moving STATE to %s/var: %w", Root, err)
	}
	return details, nil
}

// overlayEtc mounts /etc as an overlay: the image's /etc below, the
// node's changes above, on STATE. index=off: the lower layer changes with
// every slot swap.
func (b *boot) overlayEtc(context.Context) (string, error) {
	upper, work := Root+"/var/"+EtcUpper, Root+"/var/"+EtcWork
	for _, d := range []string{upper, work} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return "", fmt.Errorf("creating %s: %w", d, err)
		}
	}
	opts := fmt.Sprintf("lowerdir=%s/etc,upperdir=%s,workdir=%s,index=off", Root, upper, work)
	if err := unix.Mount("overlay", Root+"/etc", "overlay", 0, opts); err != nil {
		return "", fmt.Errorf("mounting the /etc overlay (%s): %w", opts, err)
	}
	return "overlay, upper on STATE /var/" + EtcUpper, nil
}

func exists(root, rel string) bool {
	_, err := os.Lstat(filepath.Join(root, rel))
	return err == nil
}

// writeMarker writes root/rel durably: temp file, fsync, rename, fsync of
// the directory.
func writeMarker(root, rel string) error {
	p := filepath.Join(root, rel)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return fmt.Errorf("creating %s: %w", filepath.Dir(p), err)
	}
	body := []byte("slipway-init " + time.Now().UTC().Format(time.RFC3339) + "\n")
	if err := writeFileSync(p, body, 0o644); err != nil {
		return fmt.Errorf("writing %s: %w", p, err)
	}
	return nil
}

// writeFileSync writes a file through a temp file and rename, syncing the
// file and its directory.
func writeFileSync(p string, body []byte, mode fs.FileMode) error {
	tmp := p + ".tmp"
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, mode)
	if err != nil {
		return err
	}
	_, err = f.Write(body)
	err = errors.Join(err, f.Sync(), f.Close())
	if err == nil {
		err = os.Rename(tmp, p)
	}
	if err != nil {
		os.Remove(tmp)
		return err
	}
	return syncDir(filepath.Dir(p))
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
