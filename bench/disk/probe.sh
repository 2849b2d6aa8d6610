#!/bin/sh
# The guest side of bench/disk.sh's boot figures, run by slipway-bench.service
# (WantedBy and After multi-user.target): writes one marker line to the
# kernel log, which the kernel prints on the serial console at once (a
# write to /dev/ttyS0 can be lost when serial-getty flushes the port as it
# starts), with the guest's uptime (seconds since the kernel started) and
# when systemd started (microseconds, monotonic), then powers the machine
# off.
up=$(cut -d' ' -f1 /proc/uptime)
userspace=$(systemctl show -P UserspaceTimestampMonotonic)
echo "SLIPWAY-BENCH multi-user uptime=$up userspace-us=$userspace" >/dev/kmsg
systemctl poweroff --no-block
