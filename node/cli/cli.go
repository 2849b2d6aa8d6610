// Package cli holds the node commands (status, upgrade, rollback,
// health, bless) that both slipway-node (on a node) and slipway node (on
// a build host, for disk image files) offer: one implementation, two
// binaries (DESIGN.md "Names").
package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"

	"github.com/spf13/cobra"

	"github.com/slipway-dev/slipway/internal/progress"
	"github.com/slipway-dev/slipway/node/ab"
	"github.com/slipway-dev/slipway/node/agent"
	"github.com/slipway-dev/slipway/node/boot"
)

// Options wire the commands to their binary.
type Options struct {
	// OpenDisk opens a disk image file for --disk; nil in slipway-node,
	// which then refuses --disk (it links no filesystem writer).
	OpenDisk func(path string) (ab.Device, error)
	// Binary names the binary in messages: "slipway-node" or "slipway node".
	Binary string
}

// ErrInvalid marks bad flags and refused payloads: exit status 2.
var ErrInvalid = errors.New("invalid input")

// IsInvalid reports whether err should exit with status 2.
func IsInvalid(err error) bool {
	return errors.Is(err, ErrInvalid) || errors.Is(err, agent.ErrInvalidPayload)
}

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalid, fmt.Sprintf(format, args...))
}

// Commands returns the node commands.
func Commands(o Options) []*cobra.Command {
	return []*cobra.Command{newStatus(o), newUpgrade(o), newRollback(o), newHealth(o), newBless(o), ValidateNodeCommand(o, "validate")}
}

// target is the --disk/--booted pair every command takes.
type target struct {
	disk, booted, arch string
	json               bool
}

func (t *target) addFlags(cmd *cobra.Command) {
	cmd.Flags().StringVar(&t.disk, "disk", "", "work on this raw disk image file instead of the running node (build hosts: slipway node)")
	cmd.Flags().StringVar(&t.booted, "booted", "", "with --disk: the slot that booted (a or b)")
	cmd.Flags().StringVar(&t.arch, "arch", runtime.GOARCH, "with --disk: the image's architecture")
	cmd.Flags().BoolVar(&t.json, "json", false, "print one JSON document on stdout")
}

// open opens the node: the running one, or the disk image.
func (t *target) open(cmd *cobra.Command, o Options) (*agent.Node, error) {
	if t.disk == "" {
		if t.booted != "" {
			return nil, invalid("--booted needs --disk (a running node knows which slot booted)")
		}
		n, err := agent.OpenLive()
		if err != nil {
			return nil, err
		}
		n.Log, n.Progress = cmd.ErrOrStderr(), progress.New(cmd.ErrOrStderr())
		return n, nil
	}
	if o.OpenDisk == nil {
		return nil, invalid("--disk: %s works on the running node only; use slipway node on a build host for disk image files", o.Binary)
	}
	if _, err := boot.OtherSlot(t.booted); err != nil {
		return nil, invalid("--booted: %v", err)
	}
	dev, err := o.OpenDisk(t.disk)
	if err != nil {
		return nil, err
	}
	return &agent.Node{Dev: dev, Booted: t.booted, Arch: t.arch, Log: cmd.ErrOrStderr(), Progress: progress.New(cmd.ErrOrStderr())}, nil
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// readKey reads an OpenPGP keyring file, or the node default when it
// exists and path is empty.
func readKey(path string) ([]byte, error) {
	if path == "" {
		b, err := os.ReadFile(DefaultKeyring)
		if err != nil {
			return nil, nil
		}
		return b, nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, invalid("--key: %v", err)
	}
	return b, nil
}

// DefaultKeyring holds the keys a node trusts for payloads when --key is
// not given; a node without it accepts unsigned payloads.
const DefaultKeyring = "/etc/slipway/payload-keys.gpg"
