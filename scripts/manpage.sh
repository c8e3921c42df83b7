#!/usr/bin/env bash
# scripts/manpage.sh APP_DIR VERSION: prints hddt-gateway(1) in roff, made of the command's own --help (one
# copy of each command's description) plus where the Debian package keeps its files.
set -euo pipefail
app="$1"
version="$2"
help="$(node "$app/bin/hddt-gateway.js" --help | sed -e 's/\\/\\\\/g' -e 's/^\./\\\&./' -e "s/^'/\\\\\&'/")"
cat <<ROFF
.TH HDDT-GATEWAY 1 "" "hddt-gateway $version" "User Commands"
.SH NAME
hddt-gateway \\- glucose devices to HDDT FHIR resources, OAuth2/FHIR server and MQTT sync
.SH SYNOPSIS
.B hddt-gateway
.I command
.RI [ options ]
.SH DESCRIPTION
Every command answers
.BR \\-\\-help .
.PP
.nf
$help
.fi
.SH FILES
.TP
.I /etc/hddt-gateway/config.json
configuration read by the service (\\fBrun \\-\\-config\\fR); other commands take \\fB\\-\\-config\\fR too
.TP
.I /var/lib/hddt-gateway
data directory (database, keys, request logs), the default of \\fBHDDT_DATA_DIR\\fR; run by root, the
command runs as the \\fBhddt-gateway\\fR user
.SH SEE ALSO
.BR systemctl (1),
.BR journalctl (1),
.I /usr/share/doc/hddt-gateway/raspberry-pi.md
ROFF
