#include "commands.hpp"

namespace cli {

const char *usage_text() {
    return R"(Usage: kvps [--store URL] [-v|--verbose] [-q|--quiet] COMMAND ...

Commands:
  put KEY [FILE]        store FILE as KEY's value, or standard input when FILE is absent
                        or "-" (streamed; the value appears only once complete)
  get KEY [FILE]        write KEY's value to FILE, or to standard output (streamed)
  stat KEY              print the value's size, modified time (ISO 8601, UTC) and etag
  rm KEY...             remove keys; removing a missing key is not an error
  ls [PREFIX] [-l]      list the keys (under PREFIX), one a line, in byte order;
                        -l adds the size and modified time, separated by tabs
  cp SRC_URL DST_URL [--prefix P] [--jobs N]
                        copy every key (under P) from one store to another, streamed,
                        N at a time (default 4, at most 64). A key is skipped when the
                        destination has the same size and either the same etag (both stores
                        of the same backend) or the same bytes (compared, no write).
  backends              list the backends: schemes, description, options with their
                        type and default

Options:
  --store URL           the store for put, get, stat, rm and ls
  -v, --verbose         log each backend request to standard error (never a secret)
  -q, --quiet           no progress bar and no summary
  -h, --help            print this help
  --version             print the tool's and the library's versions
  Use "--" before a key that starts with "-".

Store:
  --store URL, else $KVPS_STORE, else the folder $XDG_DATA_HOME/kvps/store
  (~/.local/share/kvps/store when XDG_DATA_HOME is not set), created on first use.
  URLs: file:///abs/path, file://./relative, memory://, s3://bucket/prefix?region=...
  ("kvps backends" lists every scheme and option).

Progress:
  cp, and put or get of values that take a while, show a progress bar on standard error
  when it is a terminal, unless -q is given.

Exit status:
  0    success
  1    key not found (get, stat), with "not found: KEY" on standard error
  2    bad usage or bad input: arguments, store URL, scheme, option, key; the message
       names the culprit
  3    storage failure: I/O, permission, network, server error, with the library's message
  130  interrupted (Ctrl-C); a put or cp leaves no half-written value
)";
}

}  // namespace cli
