//go:build kvps_static

package kvps

// go build -tags kvps_static links libkvps.a into the binary (pkg-config module kvps-static,
// installed beside kvps.pc): the program needs no libkvps.so.0 and no LD_LIBRARY_PATH at run
// time. libkvps's own dependencies (libcurl, libcrypto, expat, the C++ runtime) stay shared
// system libraries.

/*
#cgo pkg-config: kvps-static
*/
import "C"
