// Command bundle assembles nixpass.app from a built binary:
//
//	go run ./packaging/bundle -binary build/nixpass-darwin -version $(git describe) -plist Info.plist -out build/nixpass.app
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strings"

	"nixpass/packaging/appbundle"
)

type list []string

func (l *list) String() string     { return strings.Join(*l, ",") }
func (l *list) Set(s string) error { *l = append(*l, s); return nil }

func main() {
	var o appbundle.Options
	var bins list
	flag.Var(&bins, "binary", "nixpass executable (repeat for amd64 and arm64)")
	flag.StringVar(&o.Version, "version", "dev", "version (git describe)")
	flag.StringVar(&o.Plist, "plist", "Info.plist", "Info.plist template")
	flag.StringVar(&o.Out, "out", "build/nixpass.app", "the .app to write")
	flag.StringVar(&o.SignIdentity, "sign", "", `codesign identity, e.g. "Developer ID Application: Name (TEAMID)": hardened runtime and a timestamp; empty signs ad hoc`)
	flag.Parse()
	o.Binaries, o.Log = bins, os.Stderr
	if err := appbundle.Build(context.Background(), o); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println(o.Out)
}
