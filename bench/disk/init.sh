#!/bin/busybox sh
# /init of the busybox initramfs that bench/disk.sh boots as the peer of
# slipway-init: what slipway-init does on a node's second boot, as a
# shell script. It mounts /proc, /sys, /dev and /run, loads the modules
# listed in /lib/modules/<kver>/modules.list (dependencies first), finds
# the slot named by slipway.slot= and STATE by PARTLABEL (sysfs uevent
# files; busybox's findfs has no PARTLABEL=), mounts the slot read-only on
# /sysroot, STATE on /sysroot/var, /etc as an overlay with its upper
# directory on STATE (the same directories as slipway-init), moves the
# kernel filesystems into /sysroot and switches root to /sbin/init. It
# cannot run Ignition: it boots a disk that slipway-init first-booted.
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc -o nosuid,nodev,noexec proc /proc
mount -t sysfs -o nosuid,nodev,noexec sysfs /sys
mount -t devtmpfs -o nosuid,mode=0755 devtmpfs /dev
mount -t tmpfs -o nosuid,nodev,mode=0755 tmpfs /run

fail() {
	echo "busybox-init: $*"
	sleep 5
	reboot -f
}

slot=a
for arg in $(cat /proc/cmdline); do
	case $arg in slipway.slot=*) slot=${arg#slipway.slot=} ;; esac
done

kver=$(uname -r)
n=0
while read -r m; do
	insmod "/lib/modules/$kver/$m" || fail "loading $m"
	n=$((n + 1))
done <"/lib/modules/$kver/modules.list"
echo "busybox-init: modules: ok ($n for $kver)"

# part LABEL: the /dev node of the partition labelled LABEL.
part() {
	local u
	for u in /sys/class/block/*/uevent; do
		if grep -qx "PARTNAME=$1" "$u"; then
			sed -n 's/^DEVNAME=//p' "$u" | sed 's#^#/dev/#'
			return 0
		fi
	done
	return 1
}
i=0
until root=$(part "slipway-$slot") && state=$(part slipway-state); do
	i=$((i + 1))
	[ $i -le 1000 ] || fail "no partitions slipway-$slot and slipway-state after 10 s"
	usleep 10000
done
echo "busybox-init: partitions: ok (slipway-$slot=$root slipway-state=$state)"

mount -t squashfs -o ro "$root" /sysroot || fail "mounting $root"
mount -t ext4 -o noatime "$state" /sysroot/var || fail "mounting $state"
[ -e /sysroot/var/lib/slipway/first-boot-done ] || echo "busybox-init: warning: STATE was never first-booted"
upper=/sysroot/var/lib/slipway/etc/upper
work=/sysroot/var/lib/slipway/etc/work
mkdir -p $upper $work
mount -t overlay -o lowerdir=/sysroot/etc,upperdir=$upper,workdir=$work,index=off overlay /sysroot/etc ||
	fail "mounting the /etc overlay"
echo "busybox-init: sysroot: ok"

for d in /dev /proc /sys /run; do
	mount --move $d /sysroot$d || fail "moving $d"
done
echo "busybox-init: switch-root: ok (starting /sbin/init)"
exec switch_root /sysroot /sbin/init
