# shellcheck shell=sh
# What revert must restore, printed by the prepare step (before) and the verifier (after).
cd / && { getent group debug; id alice; for d in etc/sudoers.d etc/sysctl.d etc/apache2/conf-enabled usr/local/bin var/lib/debugready; do echo "== $d"; ls -A1 "$d" 2>&1; done; stat -c '%n %a %U %G' etc/sudoers etc/sudoers.d/*; sha256sum etc/sudoers etc/sudoers.d/* etc/sysctl.d/* etc/apache2/conf-enabled/*; dpkg-query -W strace gdb; }
