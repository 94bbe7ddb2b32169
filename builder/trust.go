package builder

import (
	"os/user"
	"slices"
	"strings"
)

// TrustedUser applies nix.conf's trusted-users rules to u: a user name,
// "*", or "@group" for members of group, as primary or supplementary
// group. nix-daemon takes builders, substituters and their keys only from
// a trusted user.
func TrustedUser(u *user.User, list []string) bool {
	for _, e := range list {
		switch {
		case e == "*" || e == u.Username:
			return true
		case strings.HasPrefix(e, "@"):
			g, err := user.LookupGroup(e[1:])
			if err != nil {
				continue
			}
			if u.Gid == g.Gid {
				return true
			}
			if gids, err := u.GroupIds(); err == nil && slices.Contains(gids, g.Gid) {
				return true
			}
		}
	}
	return false
}
