package session

import "strings"

// UserNSSetting is a host setting (a file under /proc/sys) whose value can
// forbid unprivileged user namespaces. rrun's error and `rrun doctor` share
// this one list.
type UserNSSetting struct {
	Name    string // sysctl name, e.g. user.max_user_namespaces
	Blocks  string // the value that forbids them
	Allows  string // a value that allows them
	Problem string
	Fix     string
}

// Path is the setting's file, relative to the root of the host.
func (s UserNSSetting) Path() string {
	return "/proc/sys/" + strings.ReplaceAll(s.Name, ".", "/")
}

// UserNSSettings are checked in this order; the first that blocks is named.
var UserNSSettings = []UserNSSetting{
	{
		Name: "kernel.unprivileged_userns_clone", Blocks: "0", Allows: "1",
		Problem: "unprivileged user namespaces are disabled",
		Fix:     "sudo sysctl -w kernel.unprivileged_userns_clone=1",
	},
	{
		Name: "user.max_user_namespaces", Blocks: "0", Allows: "28633",
		Problem: "user.max_user_namespaces is 0",
		Fix:     "sudo sysctl -w user.max_user_namespaces=28633",
	},
	{
		Name: "kernel.apparmor_restrict_unprivileged_userns", Blocks: "1", Allows: "0",
		Problem: "AppArmor restricts unprivileged user namespaces",
		Fix:     "sudo sysctl -w kernel.apparmor_restrict_unprivileged_userns=0, or an AppArmor profile for rrun",
	},
}
