#!/bin/sh
# deps.sh: install the Debian packages slipway's demo, tests and benchmarks
# use, when missing. Needs root (apt-get); runs `apt-get update` first.
set -eu
need=""
for pair in dnf:dnf rpm:rpm rpmkeys:rpm mmdebstrap:mmdebstrap lintian:lintian createrepo_c:createrepo-c \
	gpg:gnupg gpgv:gpgv dpkg-deb:dpkg file:file setfiles:policycoreutils openssl:openssl \
	etcd:etcd-server etcdctl:etcd-client kubectl:kubernetes-client skopeo:skopeo docker-registry:docker-registry socat:socat \
	qemu-aarch64-static:qemu-user-static chroot:coreutils qemu-system-x86_64:qemu-system-x86 qemu-img:qemu-utils \
	mksquashfs:squashfs-tools mkfs.erofs:erofs-utils mkfs.vfat:dosfstools mdir:mtools sgdisk:gdisk mkfs.ext4:e2fsprogs \
	debugfs:e2fsprogs jq:jq; do
	cmd=${pair%%:*}; pkg=${pair#*:}
	command -v "$cmd" >/dev/null 2>&1 || need="$need $pkg"
done
[ -e /usr/share/keyrings/debian-archive-keyring.gpg ] || need="$need debian-archive-keyring"
[ -x /usr/lib/dracut/modules.d/30ignition/ignition ] || need="$need ignition"
[ -e /usr/share/OVMF/OVMF_CODE_4M.fd ] || need="$need ovmf"
[ -e /usr/lib/systemd/boot/efi/systemd-bootx64.efi ] || need="$need systemd-boot-efi"
python3 -c 'import jsonschema' 2>/dev/null || need="$need python3-jsonschema"
if [ -z "$need" ]; then
	exit 0
fi
if [ "$(id -u)" != 0 ]; then
	echo "missing tools:$need; install them (apt-get install$need) or run as root" >&2
	exit 1
fi
echo "installing:$need"
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $need >/dev/null
