//go:build !kvps_static

package kvps

// The default: link the shared library libkvps.so.0, found at run time by the dynamic loader
// (ldconfig's folders, LD_LIBRARY_PATH, or an rpath). For a binary that runs on its own, build
// with -tags kvps_static (link_static.go).

/*
#cgo pkg-config: kvps
*/
import "C"
