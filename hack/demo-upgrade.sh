#!/bin/bash
# demo-upgrade.sh RELEASE_DIR RELEASE_SPEC NODE.ign: the node's side of the
# demo. Starts Debian's docker-registry on 127.0.0.1 (stopped on exit),
# pushes the release's images and a second OS version's update payload to
# it (0.1.0 plus one changed file, built from the first version's tree:
# no second Debian bootstrap), then boots the release's disk image in QEMU
# (TCG) with the node's Ignition config merged with a demo unit. The guest
# reaches the registry only through a restricted forward (10.0.2.100 ->
# 127.0.0.1 via socat). On 0.1.0 the unit prints `slipway-node status` and
# upgrades from the registry (its signature checked with the release's key,
# which the config puts in /etc/slipway/payload-keys.gpg), then reboots; on
# the new version the health
# gate passes, systemd-bless-boot blesses it, and the unit prints status
# again and powers off. Prints both statuses, read back from STATE.
set -euo pipefail
[ $# -eq 3 ] || { echo "usage: $0 RELEASE_DIR RELEASE_SPEC NODE.ign" >&2; exit 2; }
rel=$1 spec=$2 ign=$3
slipway=${SLIPWAY:-bin/slipway}
root=$PWD
work=$(mktemp -d)
reg_pid=
cleanup() { [ -n "$reg_pid" ] && kill "$reg_pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
say() { echo "demo-upgrade: $*"; }

img=$(ls "$rel"/amd64/disk/*.raw | head -1)
v1=$(jq -r .osVersion "$rel/release.json")
v2=${v1%.*}.$((${v1##*.} + 1))

# --- the registry, on loopback only ----------------------------------------
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat >"$work/registry.yml" <<EOF
version: 0.1
log: {level: warn}
storage: {filesystem: {rootdirectory: $work/registry}}
http: {addr: 127.0.0.1:$port}
EOF
docker-registry serve "$work/registry.yml" >"$work/registry.log" 2>&1 &
reg_pid=$!
for _ in $(seq 50); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.2; done
say "docker-registry on 127.0.0.1:$port"
"$slipway" images push --from "$rel/images" --registry "127.0.0.1:$port/demo" | sed 's/^/  /'

# --- version $v2: the same tree, one file changed ----------------------------
tree=$("$slipway" disk build -f "$spec" -o "$work/disk" --json 2>/dev/null | jq -r .rootfs)
cp -a "$tree" "$work/tree"
echo "$v2" >"$work/tree/usr/share/slipway-demo-version"
sed -e "s#file://\.\./#file://$root/#" -e "s#openpgpKey: \.\./#openpgpKey: $root/#" "$spec" |
	awk -v v="$v2" -v t="$work/tree" '{ print } /^spec:/ { print "  os:\n    version: " v "\n    rootfs: {directory: " t "}" }' >"$work/release-$v2.yaml"
"$slipway" payload build -f "$work/release-$v2.yaml" -o "$work/payload" 2>/dev/null | sed 's/^/  /'
"$slipway" payload push --from "$work/payload/example-$v2-amd64" "127.0.0.1:$port/demo/payload:$v2" | sed 's/^/  /'

# --- the node -----------------------------------------------------------------
cp --sparse=always "$img" "$work/disk.raw"
cp /usr/share/OVMF/OVMF_VARS_4M.fd "$work/vars.fd"
GUEST=10.0.2.100 # the forward's address; the guest has no other way out
cat >"$work/demo.sh" <<SH
#!/bin/sh
S=/var/lib/slipway-demo
mkdir -p \$S
. /usr/lib/os-release
if [ "\$IMAGE_VERSION" = "$v1" ]; then
	slipway-node status > \$S/before.txt 2>&1
	cat \$S/before.txt > /dev/console
	slipway-node upgrade --payload $GUEST:$port/demo/payload:$v2 --insecure --skip-etcd-snapshot > \$S/upgrade.txt 2>&1
	cat \$S/upgrade.txt > /dev/console
	sync
	grep -q "installed $v2" \$S/upgrade.txt && systemctl reboot || systemctl poweroff
else
	# systemd-bless-boot blesses the entry once the health gate passed.
	slot=\$(tr ' ' '\\n' < /proc/cmdline | sed -n 's/^slipway.slot=//p')
	for i in \$(seq 120); do [ -e /efi/loader/entries/slipway-\$slot.conf ] && break; sleep 1; done
	slipway-node status > \$S/after.txt 2>&1
	cat \$S/after.txt > /dev/console
	sync
	systemctl poweroff
fi
SH
unit='[Unit]
Description=slipway demo: upgrade
After=multi-user.target slipway-health.service systemd-networkd.service
[Service]
Type=oneshot
TimeoutStartSec=infinity
ExecStart=/etc/slipway-demo.sh
[Install]
WantedBy=multi-user.target'
network='[Match]
Name=en*
[Network]
Address=10.0.2.15/24'
b64() { base64 -w0 "$@"; }
json() { python3 -c 'import json,sys; print(json.dumps(sys.stdin.read()))'; }
printf '{"ignition":{"version":"3.3.0","config":{"merge":[{"source":"data:;base64,%s"},{"source":"data:;base64,%s"}]}}}\n' \
	"$(b64 "$ign")" \
	"$(printf '{"ignition":{"version":"3.3.0"},"storage":{"files":[{"path":"/etc/slipway-demo.sh","mode":493,"contents":{"source":"data:;base64,%s"}},{"path":"/etc/systemd/network/10-demo.network","mode":420,"contents":{"source":"data:;base64,%s"}},{"path":"/etc/slipway/payload-keys.gpg","mode":420,"contents":{"source":"data:;base64,%s"}}]},"systemd":{"units":[{"name":"slipway-demo.service","enabled":true,"contents":%s},{"name":"systemd-networkd.service","enabled":true}]}}' \
		"$(b64 "$work/demo.sh")" "$(printf '%s\n' "$network" | b64)" "$(b64 "$rel/release-key.asc")" "$(printf '%s' "$unit" | json)" | b64)" \
	>"$work/config.ign"

say "booting $(basename "$img") ($v1) in QEMU; it upgrades to $v2 from the registry and reboots (a few minutes under TCG)..."
timeout 1200 qemu-system-x86_64 -machine q35 -cpu max -m 1536 -smp 2 -nographic -device virtio-rng-pci \
	-nic "user,model=virtio-net-pci,restrict=on,guestfwd=tcp:10.0.2.100:$port-cmd:socat - TCP:127.0.0.1:$port" \
	-drive if=pflash,format=raw,readonly=on,file=/usr/share/OVMF/OVMF_CODE_4M.fd \
	-drive if=pflash,format=raw,file="$work/vars.fd" \
	-drive file="$work/disk.raw",format=raw,if=virtio \
	-fw_cfg name=opt/com.coreos/config,file="$work/config.ign" >"$work/console.log" 2>&1 || {
	say "the machine did not power off; console tail:" >&2
	tail -60 "$work/console.log" >&2
	exit 1
}
off=$("$slipway" disk inspect --json "$work/disk.raw" | jq '.partitions[3].start')
state() { debugfs -R "cat /lib/slipway-demo/$1" "$work/disk.raw?offset=$off" 2>/dev/null; }
echo "==== slipway-node status on $v1, before the upgrade ===================="
state before.txt
echo "==== slipway-node upgrade ================================================"
state upgrade.txt | grep -v '^  writing slot'
echo "==== slipway-node status on $v2, after the reboot ======================="
state after.txt | grep . || { say "no status after the upgrade; console tail:" >&2; tail -60 "$work/console.log" >&2; exit 1; }
grep -a 'slipway-node\[[0-9]*\]: health gate:' "$work/console.log" | sed 's/^.*slipway-node\[[0-9]*\]: /  /' | cut -c1-150
