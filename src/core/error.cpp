#include "spi/error.hpp"

#include "spi/text.hpp"

#include <cerrno>
#include <cstring>

#include "keys.hpp"

namespace kvps {

void fail(kvps_status status, std::string message) { throw Error(status, std::move(message)); }

std::string quote(std::string_view text) {
    // Long keys are shown as their head and tail so a message stays readable.
    constexpr size_t kMax = 120;
    std::string shown;
    // Bytes of text that is not UTF-8 are escaped, so messages are always valid UTF-8.
    const bool escape_high = !is_utf8(text);
    auto add = [&shown, escape_high](std::string_view part) {
        for (unsigned char c : part) {
            if (c == '"' || c == '\\') {
                shown += '\\';
                shown += static_cast<char>(c);
            } else if (c < 0x20 || c == 0x7f || (escape_high && c >= 0x80)) {
                shown += "\\x";
                shown += hex_digit(c >> 4);
                shown += hex_digit(c);
            } else {
                shown += static_cast<char>(c);  // UTF-8 passes through
            }
        }
    };
    shown += '"';
    if (text.size() <= kMax) {
        add(text);
    } else {
        // Cut on character boundaries (never inside a UTF-8 sequence).
        size_t head = kMax / 2, tail = text.size() - kMax / 2;
        while (head > 0 && (static_cast<unsigned char>(text[head]) & 0xc0) == 0x80) --head;
        while (tail < text.size() && (static_cast<unsigned char>(text[tail]) & 0xc0) == 0x80)
            ++tail;
        add(text.substr(0, head));
        shown += "...";
        add(text.substr(tail));
        shown += "\" (" + std::to_string(text.size()) + " bytes";
        shown += ')';
        return shown;
    }
    shown += '"';
    return shown;
}

kvps_status status_from_errno(int err) {
    switch (err) {
    case ENOENT:
    case ENOTDIR: return KVPS_NOT_FOUND;
    case EACCES:
    case EPERM:
    case EROFS: return KVPS_PERMISSION_DENIED;
    case ENOSPC:
    case EDQUOT:
    case EFBIG:  // past RLIMIT_FSIZE or the file system's largest file: no room for the value
        return KVPS_NO_SPACE;
    case ENOMEM: return KVPS_NO_MEMORY;
    case ENAMETOOLONG: return KVPS_INVALID_KEY;
    case ETIMEDOUT: return KVPS_TIMEOUT;
    case EINTR: return KVPS_CANCELLED;
    default: return KVPS_IO;
    }
}

void fail_errno(int err, std::string what) {
    fail(status_from_errno(err), what + ": " + std::strerror(err));
}

}  // namespace kvps
