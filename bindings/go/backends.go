package kvps

/*
#include <stdlib.h>
#include <kvps.h>
*/
import "C"

import (
	"strings"
	"unsafe"
)

// Capabilities are what a backend does natively (KVPS_CAP_*).
type Capabilities uint64

const (
	CapRange       Capabilities = C.KVPS_CAP_RANGE        // ranges read without fetching the whole value
	CapReadStream  Capabilities = C.KVPS_CAP_READ_STREAM  // readers stream in constant memory
	CapWriteStream Capabilities = C.KVPS_CAP_WRITE_STREAM // writers stream in constant memory
	CapList        Capabilities = C.KVPS_CAP_LIST         // listing is supported
	CapBatch       Capabilities = C.KVPS_CAP_BATCH        // batch calls run natively
	CapPersistent  Capabilities = C.KVPS_CAP_PERSISTENT   // values outlive the process
	CapShared      Capabilities = C.KVPS_CAP_SHARED       // other processes see the same values
	CapZeroCopy    Capabilities = C.KVPS_CAP_ZERO_COPY    // blobs are kept and handed back, uncopied
)

var capabilityNames = []struct {
	c    Capabilities
	name string
}{
	{CapRange, "range"}, {CapReadStream, "read_stream"}, {CapWriteStream, "write_stream"},
	{CapList, "list"}, {CapBatch, "batch"}, {CapPersistent, "persistent"}, {CapShared, "shared"},
	{CapZeroCopy, "zero_copy"},
}

// Has reports whether every bit of want is set.
func (c Capabilities) Has(want Capabilities) bool { return c&want == want }

// String lists the set bits, e.g. "range|list".
func (c Capabilities) String() string {
	var names []string
	for _, n := range capabilityNames {
		if c.Has(n.c) {
			names = append(names, n.name)
		}
	}
	return strings.Join(names, "|")
}

// OptionType is the declared type of a backend option.
type OptionType int

// String returns the type's name: "string", "bool", "integer", "size", "duration", "url" or
// "secret".
func (t OptionType) String() string {
	return C.GoString(C.kvps_option_type_name(C.kvps_option_type(t)))
}

// The option types; see kvps.h for the accepted spellings of each.
const (
	OptionString   OptionType = C.KVPS_OPTION_STRING
	OptionBool     OptionType = C.KVPS_OPTION_BOOL
	OptionInteger  OptionType = C.KVPS_OPTION_INTEGER
	OptionSize     OptionType = C.KVPS_OPTION_SIZE
	OptionDuration OptionType = C.KVPS_OPTION_DURATION
	OptionURL      OptionType = C.KVPS_OPTION_URL
	OptionSecret   OptionType = C.KVPS_OPTION_SECRET
)

// OptionInfo describes one option a backend accepts.
type OptionInfo struct {
	Name        string
	Type        OptionType
	Default     string // as text; "" when HasDefault is false
	HasDefault  bool
	Required    bool // opening fails without it
	Description string
}

// Backend describes one registered backend.
type Backend struct {
	Name         string   // e.g. "file"
	Description  string   // one line
	Schemes      []string // the primary scheme first, then aliases
	Capabilities Capabilities
	Options      []OptionInfo
}

// Backends returns the registered backends in name order.
func Backends() []Backend {
	n := int(C.kvps_backend_count())
	backends := make([]Backend, 0, n)
	for i := 0; i < n; i++ {
		if b := C.kvps_backend_at(C.size_t(i)); b != nil {
			backends = append(backends, backendFrom(b))
		}
	}
	return backends
}

// FindBackend returns the backend registered for scheme (case-insensitive, aliases
// included); ok is false when there is none.
func FindBackend(scheme string) (b Backend, ok bool) {
	if strings.IndexByte(scheme, 0) >= 0 {
		return Backend{}, false
	}
	cs := C.CString(scheme)
	defer C.free(unsafe.Pointer(cs))
	info := C.kvps_backend_find(cs)
	if info == nil {
		return Backend{}, false
	}
	return backendFrom(info), true
}

func backendFrom(b *C.kvps_backend_info) Backend {
	out := Backend{
		Name:         C.GoString(b.name),
		Description:  C.GoString(b.description),
		Capabilities: Capabilities(b.capabilities),
	}
	for _, s := range unsafe.Slice(b.schemes, int(b.scheme_count)) {
		out.Schemes = append(out.Schemes, C.GoString(s))
	}
	for i := 0; i < int(b.option_count); i++ {
		o := C.kvps_backend_option(b, C.size_t(i))
		if o == nil {
			continue
		}
		info := OptionInfo{
			Name:        C.GoString(o.name),
			Type:        OptionType(o._type),
			Required:    o.required != 0,
			Description: C.GoString(o.description),
		}
		if o.default_value != nil {
			info.Default = C.GoString(o.default_value)
			info.HasDefault = true
		}
		out.Options = append(out.Options, info)
	}
	return out
}
