//go:build linux

package early

import (
	"context"
	"fmt"
	"io"
	"log"
	"os"

	securejoin "github.com/cyphar/filepath-securejoin"
	"github.com/u-root/u-root/pkg/mount"
)

// switchRoot checks the real init, moves /dev, /proc, /sys and /run into
// Root, makes it "/", frees the initramfs and executes init. It returns
// only on failure.
func (b *boot) switchRoot(context.Context) (string, error) {
	if err := checkInit(Root, b.cmd.Init); err != nil {
		return "", err
	}
	fmt.Fprint(b.con, okLine("switch-root", "starting "+b.cmd.Init))
	log.SetOutput(io.Discard) // u-root narrates every step on stderr
	err := mount.SwitchRoot(Root, b.cmd.Init)
	return "", fmt.Errorf("switching root to %s: %w", Root, err)
}

// checkInit verifies that init, resolved inside root (its symlinks are
// absolute in the image), is an executable file.
func checkInit(root, init string) error {
	p, err := securejoin.SecureJoin(root, init)
	if err != nil {
		return fmt.Errorf("resolving %s in the image: %w", init, err)
	}
	st, err := os.Stat(p)
	if err != nil {
		return fmt.Errorf("the image has no %s: %w", init, err)
	}
	if !st.Mode().IsRegular() || st.Mode().Perm()&0o111 == 0 {
		return fmt.Errorf("%s in the image is not an executable file (%s)", init, st.Mode())
	}
	return nil
}
