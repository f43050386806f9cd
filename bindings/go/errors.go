package kvps

/*
#include <kvps.h>
*/
import "C"

import (
	"errors"
	"fmt"
	"strings"
)

// Status is the library's status code (kvps_status). Codes are never renumbered.
type Status int

// The statuses of the C API; see kvps.h for what each one means.
const (
	StatusOK                 Status = C.KVPS_OK
	StatusNotFound           Status = C.KVPS_NOT_FOUND
	StatusInvalidArgument    Status = C.KVPS_INVALID_ARGUMENT
	StatusInvalidURL         Status = C.KVPS_INVALID_URL
	StatusUnknownScheme      Status = C.KVPS_UNKNOWN_SCHEME
	StatusInvalidOption      Status = C.KVPS_INVALID_OPTION
	StatusInvalidKey         Status = C.KVPS_INVALID_KEY
	StatusPermissionDenied   Status = C.KVPS_PERMISSION_DENIED
	StatusPreconditionFailed Status = C.KVPS_PRECONDITION_FAILED
	StatusIO                 Status = C.KVPS_IO
	StatusNetwork            Status = C.KVPS_NETWORK
	StatusTimeout            Status = C.KVPS_TIMEOUT
	StatusRemote             Status = C.KVPS_REMOTE
	StatusUnsupported        Status = C.KVPS_UNSUPPORTED
	StatusNoMemory           Status = C.KVPS_NO_MEMORY
	StatusInternal           Status = C.KVPS_INTERNAL
	StatusNoSpace            Status = C.KVPS_NO_SPACE
	StatusCancelled          Status = C.KVPS_CANCELLED
	StatusOutcomeUnknown     Status = C.KVPS_OUTCOME_UNKNOWN
	StatusCorrupt            Status = C.KVPS_CORRUPT
	StatusNoCredentials      Status = C.KVPS_NO_CREDENTIALS
)

// String returns the C enumerator's name, e.g. "KVPS_NOT_FOUND".
func (s Status) String() string {
	return C.GoString(C.kvps_status_name(C.kvps_status(s)))
}

// Sentinel errors, one per failure status: errors.Is(err, ErrNotFound) holds for every *Error
// whose Status is StatusNotFound.
var (
	ErrNotFound           = errors.New("kvps: not found")
	ErrInvalidArgument    = errors.New("kvps: invalid argument")
	ErrInvalidURL         = errors.New("kvps: invalid URL")
	ErrUnknownScheme      = errors.New("kvps: unknown scheme")
	ErrInvalidOption      = errors.New("kvps: invalid option")
	ErrInvalidKey         = errors.New("kvps: invalid key")
	ErrPermissionDenied   = errors.New("kvps: permission denied")
	ErrPreconditionFailed = errors.New("kvps: precondition failed")
	ErrIO                 = errors.New("kvps: I/O error")
	ErrNetwork            = errors.New("kvps: network error")
	ErrTimeout            = errors.New("kvps: timeout")
	ErrRemote             = errors.New("kvps: remote error")
	ErrUnsupported        = errors.New("kvps: unsupported")
	ErrNoMemory           = errors.New("kvps: out of memory")
	ErrInternal           = errors.New("kvps: internal error")
	ErrNoSpace            = errors.New("kvps: no space")
	ErrCancelled          = errors.New("kvps: cancelled")
	ErrOutcomeUnknown     = errors.New("kvps: outcome unknown")
	ErrCorrupt            = errors.New("kvps: corrupt value")
	ErrNoCredentials      = errors.New("kvps: no credentials")

	// ErrClosed is returned by calls on a Store, Reader or Writer after it was closed.
	ErrClosed = errors.New("kvps: closed")
)

var sentinels = map[Status]error{
	StatusNotFound:           ErrNotFound,
	StatusInvalidArgument:    ErrInvalidArgument,
	StatusInvalidURL:         ErrInvalidURL,
	StatusUnknownScheme:      ErrUnknownScheme,
	StatusInvalidOption:      ErrInvalidOption,
	StatusInvalidKey:         ErrInvalidKey,
	StatusPermissionDenied:   ErrPermissionDenied,
	StatusPreconditionFailed: ErrPreconditionFailed,
	StatusIO:                 ErrIO,
	StatusNetwork:            ErrNetwork,
	StatusTimeout:            ErrTimeout,
	StatusRemote:             ErrRemote,
	StatusUnsupported:        ErrUnsupported,
	StatusNoMemory:           ErrNoMemory,
	StatusInternal:           ErrInternal,
	StatusNoSpace:            ErrNoSpace,
	StatusCancelled:          ErrCancelled,
	StatusOutcomeUnknown:     ErrOutcomeUnknown,
	StatusCorrupt:            ErrCorrupt,
	StatusNoCredentials:      ErrNoCredentials,
}

// Error is a failed library call. Use errors.As to get at it, errors.Is with the sentinel
// values (ErrNotFound, ...) to test its status.
type Error struct {
	Status  Status // never StatusOK
	Op      string // the operation: "open", "get", "put", "read", ...
	Key     string // the key concerned, "" when none
	Message string // the library's message naming the culprit; "" when it gave none
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("kvps: ")
	b.WriteString(e.Op)
	if e.Key != "" {
		fmt.Fprintf(&b, " %q", e.Key)
	}
	b.WriteString(": ")
	if e.Message != "" {
		b.WriteString(e.Message)
		b.WriteString(" (")
		b.WriteString(e.Status.String())
		b.WriteString(")")
	} else {
		b.WriteString(e.Status.String())
	}
	return b.String()
}

// Unwrap returns the sentinel error of e's status, so that errors.Is(err, ErrNotFound) works.
func (e *Error) Unwrap() error { return sentinels[e.Status] }

// BatchError reports the items of a batch call that failed.
type BatchError struct {
	// Errs[i] is the error of item i, nil for an item that succeeded.
	Errs []error
}

func (e *BatchError) Error() string {
	failed := e.Unwrap()
	if len(failed) == 0 {
		return "kvps: batch: no item failed"
	}
	if len(failed) == 1 {
		return failed[0].Error()
	}
	return fmt.Sprintf("%s (and %d more failed items)", failed[0], len(failed)-1)
}

// Unwrap returns the errors of the failed items, so that errors.Is and errors.As look at them.
func (e *BatchError) Unwrap() []error {
	var failed []error
	for _, err := range e.Errs {
		if err != nil {
			failed = append(failed, err)
		}
	}
	return failed
}

// invalid builds the error for bad input caught before the library is called: a Go string
// that C cannot carry (a NUL byte), or a negative size.
func invalid(status Status, op, key, message string) error {
	return &Error{Status: status, Op: op, Key: key, Message: message}
}
