// Package install holds make install's helper scripts (link-cli.sh) and
// their tests.
package install
