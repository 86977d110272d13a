// Package deploy holds what an administrator installs besides the binary:
// the systemd unit xphone.service (least privilege; docs/security.md). Its
// test checks the unit with systemd-analyze.
package deploy
