// Command nixpass builds Linux Nix Docker images from a Mac (in a
// Multipass VM) or on Linux (with the host's Nix), from the menu bar or
// the command line. It parses argv, wires dependencies and presents;
// the behaviour is in builder/.
//
// It may import any nixpass package (core, build, machine and the shared
// words of builder above all); nothing imports it.
package main

import "os"

func main() {
	completePATH()
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
