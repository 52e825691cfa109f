#!/usr/bin/env bash
# Runs in the test VM at each boot (luxlab-vmtest.service, a unit only scripts/test-vm's image
# has), from the project disk, so it is the checkout's version. It reports on the second serial
# port (/dev/ttyS1), which test/vm/host.ts reads: lines starting with @@LUXLAB-VM, provision's
# output, the suite's TAP.
#   luxlab.vmtest=suite (kernel command line; the first boot): what `vagrant up` does once the
#     box is up (scripts/provision: asserts, the lab, its URL), then the VM check suite
#     (test/vm/*.vm.ts, and Stage 10's verifiers both ways); then it waits for the host's "poweroff" (the host opens the lab in a
#     browser meanwhile) and powers off.
#   luxlab.vmtest=up (the boot after that poweroff): reports what the workspace kept (the token
#     of the URL) and powers off at once.
#   luxlab.vmtest=dev (scripts/vm-dev, the checkout shared over 9p): runs each command queued
#     in .vm-dev/ (N.cmd → N.out, N.rc) until .vm-dev/poweroff appears.
set -uo pipefail
cd "$(dirname "$0")/../.."
ctl=/dev/ttyS1
stty -F "$ctl" raw -echo
exec 3>"$ctl" 4<"$ctl" # open for reading at once: what the host sends waits in the tty
mark() { printf '@@LUXLAB-VM %s\n' "$*" >&3; }
mode=$(sed -n 's/.*luxlab\.vmtest=\([a-z]*\).*/\1/p' /proc/cmdline)

mark "booted uptime=$(cut -d' ' -f1 /proc/uptime) mode=$mode"
if [[ $mode == dev ]]; then
  q=.vm-dev
  touch "$q/ready"
  until [[ -f $q/poweroff ]]; do
    for cmd in "$q"/*.cmd; do
      [[ -f $cmd ]] || continue
      n=${cmd%.cmd}
      mv "$cmd" "$n.running"
      (cd /opt/luxlab && exec bash -c "$(cat "$n.running")") >> "$n.out" 2>&1 < /dev/null
      echo $? > "$n.rc"
    done
    sleep 0.5
  done
elif [[ $mode == up ]]; then
  mark "token $(cat /var/lib/luxlab/state/token 2>&1) enabled=$(systemctl is-enabled luxlab.service 2>&1)"
else
  scripts/provision 2>&1 | tee /dev/fd/3
  mark "provision-exit ${PIPESTATUS[0]}"
  mark suite-begin
  # The stages' checks that need this VM, proven both ways with the programs scripts/test-vm
  # built before boot (with this VM's Go, in a chroot: not compiled under emulation).
  LUX_STAGES=10 LUX_PREBUILT=/opt/luxlab/.vm-bins node --import tsx --test --test-concurrency=1 \
    --test-reporter=tap --test-reporter-destination=/dev/fd/3 \
    --test-reporter=spec --test-reporter-destination=stdout test/vm/*.vm.ts test/verifiers/notebooks.test.ts
  mark "suite-exit $?"
  # The host says when it is done with the lab (it may still be in the browser).
  while read -r -t 900 line <&4; do
    [[ $line == poweroff* ]] && break
  done
fi
mark poweroff
systemctl poweroff --no-block
