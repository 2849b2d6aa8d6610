#!/bin/sh
# demo-boot.sh IMAGE NODE.ign: boot a copy of a slipway disk image in QEMU
# (TCG, no network) with the node's Ignition config on fw_cfg, merged with
# a report unit that prints the node's first-boot report on the console
# and powers the machine off. Prints slipway-init's steps and the report
# (read back from STATE). SLIPWAY names the slipway binary (bin/slipway).
set -eu
[ $# -eq 2 ] || { echo "usage: $0 IMAGE NODE.ign" >&2; exit 2; }
img=$1 ign=$2
for f in "$img" "$ign" /usr/share/OVMF/OVMF_CODE_4M.fd; do
	[ -e "$f" ] || { echo "demo-boot: $f is missing" >&2; exit 1; }
done
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp --sparse=always "$img" "$work/disk.raw"
cp /usr/share/OVMF/OVMF_VARS_4M.fd "$work/vars.fd"

cat >"$work/report.sh" <<'SH'
#!/bin/sh
v=/sys/firmware/efi/efivars/LoaderEntrySelected-4a67b082-0a4c-41cf-b6c7-440b29bb8c4f
. /etc/os-release
{
echo "==== first-boot report ============================================"
echo "version:      $PRETTY_NAME, slipway OS $IMAGE_VERSION (Kubernetes $SLIPWAY_KUBERNETES_VERSION)"
echo "booted entry: $(cat $v | tail -c +5 | tr -d '\000')  (root $(findmnt -no SOURCE,FSTYPE,OPTIONS / | cut -d, -f1))"
echo "ignition:     $(grep -h 'Ignition finished successfully\|Stage: files' /var/log/slipway/ignition.log 2>/dev/null | tail -1 | sed 's/^ *//')"
echo "enabled:      $(systemctl list-unit-files --state=enabled --no-legend | awk '{print $1}' | tr '\n' ' ')"
echo "static pods:  $(ls /etc/kubernetes/manifests | tr '\n' ' ')"
echo "pki:          $(ls /etc/kubernetes/pki | wc -l) files, keys $(stat -c %a /etc/kubernetes/pki/*.key | sort -u | tr '\n' ' ')"
echo "containerd:   $(systemctl is-active containerd)"
echo "==================================================================="
} >/run/report
mkdir -p /var/lib/slipway-demo && cp /run/report /var/lib/slipway-demo/report && sync
cat /run/report >/dev/console
systemctl poweroff --no-block
SH
unit='[Unit]
Description=slipway demo: first-boot report
After=multi-user.target containerd.service
[Service]
Type=oneshot
ExecStart=/etc/slipway-demo-report.sh
[Install]
WantedBy=multi-user.target'
b64() { base64 -w0 "$@"; }
# Ignition merges the node's config with the report's (spec 3.3.0).
printf '{"ignition":{"version":"3.3.0","config":{"merge":[{"source":"data:;base64,%s"},{"source":"data:;base64,%s"}]}}}\n' \
	"$(b64 "$ign")" \
	"$(printf '{"ignition":{"version":"3.3.0"},"storage":{"files":[{"path":"/etc/slipway-demo-report.sh","mode":493,"contents":{"source":"data:;base64,%s"}}]},"systemd":{"units":[{"name":"slipway-demo-report.service","enabled":true,"contents":%s}]}}' \
		"$(b64 "$work/report.sh")" "$(printf '%s' "$unit" | python3 -c 'import json,sys; print(json.dumps(sys.stdin.read()))')" | b64)" \
	>"$work/config.ign"

echo "booting $(basename "$img") in QEMU (TCG, no network; about a minute)..."
timeout 600 qemu-system-x86_64 -machine q35 -cpu max -m 1536 -smp 2 -nographic -nic none -no-reboot \
	-device virtio-rng-pci \
	-drive if=pflash,format=raw,readonly=on,file=/usr/share/OVMF/OVMF_CODE_4M.fd \
	-drive if=pflash,format=raw,file="$work/vars.fd" \
	-drive file="$work/disk.raw",format=raw,if=virtio \
	-fw_cfg name=opt/com.coreos/config,file="$work/config.ign" >"$work/console.log" 2>&1 || {
	echo "demo-boot: the machine did not power off; console tail:" >&2
	tail -40 "$work/console.log" >&2
	exit 1
}
grep -a '^slipway-init: ' "$work/console.log" | cut -c1-160
# The report as the node wrote it on STATE (the console interleaves it
# with kernel messages), read from the powered-off disk.
off=$("${SLIPWAY:-bin/slipway}" disk inspect --json "$work/disk.raw" | jq '.partitions[3].start')
debugfs -R "cat /lib/slipway-demo/report" "$work/disk.raw?offset=$off" 2>/dev/null | grep . || {
	echo "demo-boot: the node wrote no report; console tail:" >&2
	tail -40 "$work/console.log" >&2
	exit 1
}
