package depsanchor

import (
	_ "github.com/diskfs/go-diskfs"
	_ "github.com/diskfs/go-diskfs/filesystem/ext4"
	_ "github.com/diskfs/go-diskfs/filesystem/fat32"
	_ "github.com/diskfs/go-diskfs/partition/gpt"
	_ "github.com/u-root/u-root/pkg/cpio"
	_ "github.com/u-root/u-root/pkg/kmodule"
	_ "github.com/u-root/u-root/pkg/mount"
)
