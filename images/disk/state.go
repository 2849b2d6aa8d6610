package disk

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/slipway-dev/slipway/node/boot"
)

// STATE is made by mkfs.ext4, not go-diskfs: go-diskfs v1.9.4's ext4.Create
// takes the UUID as a parameter but draws the directory hash seed and the
// journal UUID from crypto/rand and stamps the superblock and inodes with
// time.Now(), all under metadata checksums, so its output differs on every
// run. mke2fs is deterministic with -U, -E hash_seed= and
// E2FSPROGS_FAKE_TIME (SOURCE_DATE_EPOCH too, for e2fsprogs >= 1.47.1),
// and its features are pinned here by our own mke2fs.conf instead of the
// build host's.

// mke2fsConf fixes STATE's features and geometry: Debian bookworm's ext4
// defaults, 4 KiB blocks, 256-byte inodes, one inode per 16 KiB, and
// resize_inode so STATE can grow to fill the disk on first boot.
const mke2fsConf = `[defaults]
	base_features = sparse_super,large_file,filetype,resize_inode,dir_index,ext_attr
	default_mntopts = acl,user_xattr
	enable_periodic_fsck = 0
	blocksize = 4096
	inode_size = 256
	inode_ratio = 16384
	reserved_ratio = 5.0
	lazy_itable_init = 0
	lazy_journal_init = 0

[fs_types]
	ext4 = {
		features = has_journal,extent,huge_file,flex_bg,metadata_csum,64bit,dir_nlink,extra_isize
	}
`

// stateFS are the identifiers of STATE's ext4.
type stateFS struct {
	uuid, hashSeed string
	epoch          time.Time
}

// makeState writes an empty ext4 (lost+found only), labelled
// slipway-state, into partition p of the image at path. The partition must
// read as zeros (a fresh sparse file): mke2fs is told so and skips zeroing
// the inode tables and journal, which keeps the image sparse.
func makeState(ctx context.Context, image string, p Partition, s stateFS) error {
	conf, err := os.CreateTemp(filepath.Dir(image), ".mke2fs-*.conf")
	if err != nil {
		return fmt.Errorf("writing mke2fs.conf: %w", err)
	}
	defer os.Remove(conf.Name())
	_, err = conf.WriteString(mke2fsConf)
	if cerr := conf.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("writing mke2fs.conf: %w", err)
	}
	ext := fmt.Sprintf("hash_seed=%s,root_owner=0:0,nodiscard,assume_storage_prezeroed=1,offset=%d", s.hashSeed, p.Start)
	epoch := strconv.FormatInt(s.epoch.Unix(), 10)
	env := []string{"MKE2FS_CONFIG=" + conf.Name(), "E2FSPROGS_FAKE_TIME=" + epoch, "SOURCE_DATE_EPOCH=" + epoch}
	err = run(ctx, env, "mkfs.ext4", "-q", "-F", "-t", "ext4", "-L", boot.LabelState, "-U", s.uuid, "-E", ext,
		image, strconv.FormatInt(p.Size>>10, 10)+"k")
	if err != nil {
		return fmt.Errorf("making ext4 on %s: %w", boot.LabelState, err)
	}
	return nil
}
