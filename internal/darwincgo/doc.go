// Package darwincgo holds the type check of the macOS cgo build (the
// menu-bar adapter, FSEvents), which no Linux compiler builds: its test
// type-checks every package of nixpass as GOOS=darwin with cgo, with
// go/types' FakeImportC standing in for `import "C"`. The C and
// Objective-C themselves are not compiled here.
package darwincgo
