"""Local image builders: the Debian rootfs, the systemd node image."""
