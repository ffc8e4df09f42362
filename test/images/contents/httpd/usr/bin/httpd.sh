#!/bin/sh
# Stand-in for nginx: busybox httpd in the foreground serving $HTTPD_ROOT on
# $HTTPD_PORT (both from the image's ENV).
. /usr/share/linuxkit-test/lib.sh
# /var/log comes from the image label org.mobyproject.config (binds)
varlog=image
awk '$5 == "/var/log" { found = 1 } END { exit !found }' /proc/self/mountinfo && varlog=bound
lkt "httpd listening port=$HTTPD_PORT root=$HTTPD_ROOT var-log=$varlog $(lkt_facts)"
exec httpd -f -p "$HTTPD_PORT" -h "$HTTPD_ROOT"
