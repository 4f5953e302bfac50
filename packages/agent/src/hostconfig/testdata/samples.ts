/**
 * Sample configuration files for the hostconfig tests, shaped like what distributions shipped
 * (comment blocks, commented-out defaults, odd spacing) but written for drover. String.raw keeps
 * backslashes exactly as they appear in the files.
 */

/** Resembles the xend-config.sxp of a Xen 3.x installation, after an admin enabled relocation by hand. */
export const XEND_CONFIG = String.raw`# -*- sh -*-

#
# Settings for the Xen control daemon (xend).
#

# This sample suits a host whose guests sit on a bridge. The HTTP
# interface stays off.

# A line starting with '#' that holds an expression shows the value
# xend uses when the setting is absent.

#(logfile /var/log/xen/xend.log)
#(loglevel DEBUG)

# Listeners for the Xen-API. Each entry names "unix" for a local socket,
# a TCP port, or an address:port pair, optionally followed by a string of
# regular expressions saying which hosts may connect.
#
#(xen-api-server ((9363 pam '^localhost$ example\\.com$')
#                 (unix none)))
#

#(xend-http-server no)
(xend-unix-server yes)
#(xend-tcp-xmlrpc-server no)
(xend-unix-xmlrpc-server yes)
(xend-relocation-server no)

#(xend-unix-path /var/lib/xend/xend-socket)

# TCP port of the HTTP interface (only with xend-http-server).
#(xend-port            8000)

# TCP port of the relocation (live migration) listener.
#(xend-relocation-port 8002)

# Address the relocation listener binds to; '' means every interface.
#(xend-relocation-address '')

# Hosts that may send guests to this one: a space-separated list of
# regular expressions matched against the peer's name or address. An
# empty string lets everybody in. For example:
#  (xend-relocation-hosts-allow '^localhost$ ^.*\\.example\\.org$')
#
#(xend-relocation-hosts-allow '')
(xend-relocation-hosts-allow '^localhost$ ^localhost\\.localdomain$')

# Size of the console buffer, in kilobytes.
#(console-limit 1024)

(network-script network-bridge)
(vif-script    vif-bridge)

## For routed networking instead of a bridge:
#(network-script network-route)
#(vif-script     vif-route)

# Lowest amount of memory (MB) dom0 gives back to guests by ballooning.
(dom0-min-mem 196)
(dom0-cpus 0)

# Where HVM guests' VNC servers listen. Unset, they use 127.0.0.1.
#(vnc-listen '127.0.0.1')

# Default VNC password for HVM guests; '' means none.
(vncpasswd '')
`;

/** An sxp file an admin has been editing: duplicates, a shared line, a multi-line active expression. */
export const XEND_CONFIG_EDITED = String.raw`# local changes
(xend-relocation-server no)
(xend-relocation-port 8002)
(xen-api-server ((9363 pam '^localhost$')
                 (unix none)))
(xend-relocation-server   yes)   # turned on for the migration test
(dom0-cpus 0) (xend-relocation-port 9002)
(xend-relocation-address)
`;

/** Resembles Debian's qemu.conf: long comment blocks, commented defaults, a list spanning lines. */
export const QEMU_CONF = String.raw`# Settings for the QEMU driver of libvirt.
#
# Everything here is optional; a setting left commented out keeps the
# default shown.

# Address VNC servers of guests listen on.
#
vnc_listen   =    "0.0.0.0"    # opened up for the lab, see ticket 12

# Devices a guest's cgroup may use by default.
#
#cgroup_device_acl = [
#    "/dev/null", "/dev/full", "/dev/zero",
#    "/dev/random", "/dev/urandom",
#    "/dev/ptmx", "/dev/kvm",
#    "/dev/userfaultfd"
#]

security_driver = [ "apparmor",
                    "dac" ]   # both, in this order

user = "libvirt-qemu"
group = "libvirt-qemu"

# Address QEMU listens on for incoming migrations.
#
#migration_address = "0.0.0.0"

# Name or address the source of a migration connects to.
#
#migration_host = "host.example.com"

# Port range for incoming migrations.
#
#migration_port_min = 49152
#migration_port_max = 49215

# Refuse migrations that do not use TLS.
#
#migrate_tls_force = 0
`;

/** Resembles libvirtd.conf after someone opened plain TCP for a quick test (twice). */
export const LIBVIRTD_CONF = String.raw`# Main libvirtd configuration.
#
#################################################################
#
# Network connectivity controls
#

# Accept TLS connections on the public TCP/IP port.
# Needs a server certificate; off unless the daemon runs with --listen.
#
#listen_tls = 0

# Accept plain, unencrypted TCP connections. Use only together with
# SASL authentication.
#
#listen_tcp = 1
listen_tcp = 1

# Address to bind to; all addresses by default.
#
#listen_addr = "192.168.0.1"

unix_sock_group = "libvirt"
unix_sock_rw_perms = "0770"

# Authentication scheme on the TLS socket. The x509 client certificate
# check happens in any case.
#
#auth_tls = "none"

auth_tcp = "none"   # FIXME lab only

#################################################################
#
# TLS x509 certificate configuration
#

#key_file = "/etc/pki/libvirt/private/serverkey.pem"
#cert_file = "/etc/pki/libvirt/servercert.pem"
#ca_file = "/etc/pki/CA/cacert.pem"

# Client certificate subjects allowed to connect; * and ? are wildcards.
#
#tls_allowed_dn_list = ["DN1", "DN2"]

listen_tcp=1
`;

/** Resembles Xen's xl.conf: key="value" without spaces. */
export const XL_CONF = String.raw`## Global settings of the xl toolstack

# Ballooning of dom0 when guests need memory:
# "on", "off", or "auto" (off when dom0_mem is on Xen's command line).
#autoballoon="auto"

# Let xl run hotplug scripts itself.
#run_hotplug_scripts=1

# Default bridge for guest network interfaces.
#vif.default.bridge="xenbr0"
`;

/** Resembles Debian's /etc/default/grub with a Xen line an admin added. */
export const DEFAULT_GRUB =
  String.raw`# Settings for update-grub; run it after changing this file.
# Full documentation: info -f grub -n 'Simple configuration'

GRUB_DEFAULT=0
GRUB_TIMEOUT=5
GRUB_DISTRIBUTOR=` +
  '`lsb_release -i -s 2> /dev/null || echo Debian`' +
  String.raw`
GRUB_CMDLINE_LINUX_DEFAULT="quiet"
GRUB_CMDLINE_LINUX=""

# Options for the Xen hypervisor, default entry only
GRUB_CMDLINE_XEN_DEFAULT='loglvl=all  dom0_mem=512M guest_loglvl=all'

# Uncomment to disable graphical terminal
#GRUB_TERMINAL=console
`;

/** /etc/default/grub as installed, with no Xen settings at all. */
export const DEFAULT_GRUB_PLAIN = String.raw`GRUB_DEFAULT=0
GRUB_TIMEOUT=5
GRUB_CMDLINE_LINUX_DEFAULT="quiet"
GRUB_CMDLINE_LINUX=""
#GRUB_CMDLINE_XEN_DEFAULT=""
`;

/** Part of a grub.cfg that update-grub generates on a Debian host with Xen installed. */
export const GRUB_CFG = String.raw`### BEGIN /etc/grub.d/10_linux ###
function load_video {
	insmod all_video
}
menuentry 'Debian GNU/Linux' --class debian --class gnu-linux $menuentry_id_option 'gnulinux-simple-7f3c' {
	load_video
	linux	/boot/vmlinuz-6.1.0-18-amd64 root=UUID=7f3c ro quiet
	initrd	/boot/initrd.img-6.1.0-18-amd64
}
### END /etc/grub.d/10_linux ###
### BEGIN /etc/grub.d/20_linux_xen ###
submenu 'Advanced options for Debian GNU/Linux (with Xen hypervisor)' $menuentry_id_option 'gnulinux-advanced-7f3c' {
	submenu 'Xen hypervisor, version 4.17-amd64' $menuentry_id_option 'xen-hypervisor-4.17-amd64-7f3c' {
		menuentry 'Debian GNU/Linux, with Xen 4.17-amd64 and Linux 6.1.0-18-amd64' --class debian $menuentry_id_option 'xen-gnulinux-6.1.0-18-amd64-advanced-7f3c' {
			echo	'Loading Xen 4.17-amd64 ...'
			multiboot2	/boot/xen-4.17-amd64.gz placeholder  dom0_mem=512M
			module2	/boot/vmlinuz-6.1.0-18-amd64 placeholder root=UUID=7f3c ro quiet
		}
	}
}
### END /etc/grub.d/20_linux_xen ###
`;

/** Resembles a CentOS 5 grub.conf (menu.lst) with a Xen kernel installed after the plain one. */
export const MENU_LST = String.raw`# grub.conf generated by anaconda
#
# Note that you do not have to rerun grub after making changes to this file
#boot=/dev/sda
default=0
timeout=5
splashimage=(hd0,0)/grub/splash.xpm.gz
hiddenmenu
title CentOS (2.6.18-92.el5)
	root (hd0,0)
	kernel /vmlinuz-2.6.18-92.el5 ro root=/dev/VolGroup00/LogVol00 rhgb quiet
	initrd /initrd-2.6.18-92.el5.img
title CentOS (2.6.18-92.el5xen)
	root (hd0,0)
	kernel /xen.gz-2.6.18-92.el5
	module /vmlinuz-2.6.18-92.el5xen ro root=/dev/VolGroup00/LogVol00 rhgb quiet
	module /initrd-2.6.18-92.el5xen.img
`;
