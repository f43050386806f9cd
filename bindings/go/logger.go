package kvps

/*
#include <kvps.h>

// Implemented in Go (export.go); the library calls it from whatever thread did the work.
void kvpsGoLog(void *user, kvps_log_level level, char *line);

static void kvps_go_log(void *user, kvps_log_level level, const char *line) {
	kvpsGoLog(user, level, (char *)line);
}

static void kvps_go_set_logger(kvps_log_level max_level, int on) {
	kvps_set_logger(on ? kvps_go_log : NULL, NULL, max_level);
}
*/
import "C"

import (
	"strconv"
	"sync"
	"sync/atomic"
)

// LogLevel is the detail of a log line.
type LogLevel int

const (
	LogError LogLevel = C.KVPS_LOG_ERROR
	LogWarn  LogLevel = C.KVPS_LOG_WARN
	LogInfo  LogLevel = C.KVPS_LOG_INFO  // one line per store operation: op, key, status, bytes, duration
	LogDebug LogLevel = C.KVPS_LOG_DEBUG // one line per backend request, e.g. an HTTP method, path and status
)

func (l LogLevel) String() string {
	switch l {
	case LogError:
		return "error"
	case LogWarn:
		return "warn"
	case LogInfo:
		return "info"
	case LogDebug:
		return "debug"
	}
	return "level(" + strconv.Itoa(int(l)) + ")"
}

// logger is the function SetLogger installed, nil when logging is off.
var (
	logger   atomic.Pointer[func(LogLevel, string)]
	loggerMu sync.Mutex // orders SetLogger calls
)

// SetLogger sends the library's log lines at maxLevel and below to fn, process-wide; fn nil
// turns logging off (the default). fn is called from whatever goroutine or library thread did
// the work, possibly from several at once, so it must be safe for concurrent use; line is
// one line without a newline and never contains a secret. It takes effect for calls that
// start afterwards.
func SetLogger(fn func(level LogLevel, line string), maxLevel LogLevel) {
	loggerMu.Lock()
	defer loggerMu.Unlock()
	if fn == nil {
		C.kvps_go_set_logger(C.kvps_log_level(maxLevel), 0)
		logger.Store(nil)
		return
	}
	logger.Store(&fn)
	C.kvps_go_set_logger(C.kvps_log_level(maxLevel), 1)
}
