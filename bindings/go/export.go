package kvps

// This file holds the Go functions the C library calls back; cgo allows no C definitions
// beside an //export, so the C side of logging lives in logger.go.

/*
#include <kvps.h>
*/
import "C"

import "unsafe"

//export kvpsGoLog
func kvpsGoLog(_ unsafe.Pointer, level C.kvps_log_level, line *C.char) {
	if fn := logger.Load(); fn != nil {
		(*fn)(LogLevel(level), C.GoString(line))
	}
}
