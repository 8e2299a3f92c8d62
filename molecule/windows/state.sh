# shellcheck shell=sh
# What a window's end must put back, printed by the prepare step (before) and by tests/test_2_closed.py (after):
# the group and alice's memberships, sudo's, sysctl's and Apache's drop-ins, the copies and every file capability
# under /usr, the sysctls the profiles set, and no debugready code or unit left.
cd / && { getent group debug; id alice; for d in etc/sudoers.d etc/sysctl.d etc/apache2/conf-enabled usr/local/bin usr/local/lib/debugready etc/systemd/system; do echo "== $d"; ls -A1 "$d" 2>&1; done; stat -c '%n %a %U %G' etc/sudoers etc/sudoers.d/*; sha256sum etc/sudoers etc/sudoers.d/* etc/apache2/conf-enabled/*; getcap -r /usr 2>/dev/null | sort; for k in kernel/yama/ptrace_scope kernel/perf_event_paranoid; do echo "$k=$(cat /proc/sys/$k 2>&1)"; done; }
