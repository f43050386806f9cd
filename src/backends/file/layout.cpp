#include "layout.hpp"

#include <algorithm>

#include "codec.hpp"
#include "spi/error.hpp"

namespace kvps::file {

std::string Location::parent() const {
    std::string out;
    for (const std::string &d : dirs) {
        if (!out.empty()) out += '/';
        out += d;
    }
    return out;
}

std::string Location::path() const {
    std::string p = parent();
    return p.empty() ? leaf : p + "/" + leaf;
}

namespace {

// Encoded layout: the ob64 name E of the key is cut into segments. The first directory level
// takes E's first 2 symbols (a fan-out of at most 4096 directories), deeper levels 240 symbols
// each, so every name stays under NAME_MAX (255); a directory is its segment plus '+', a file
// its last (shorter or equal) segment. Within a directory, byte order of the names is key order:
// a file's name is at most as long as its sibling directories' segments, so it sorts before
// the keys that extend it.
constexpr size_t kFanoutSymbols = 2;
constexpr size_t kSegmentSymbols = 240;
constexpr char kDirSuffix = '+';

size_t segment_length(size_t depth) { return depth == 0 ? kFanoutSymbols : kSegmentSymbols; }

class EncodedLayout final : public Layout {
public:
    LayoutKind kind() const override { return LayoutKind::encoded; }

    Location locate(std::string_view key) const override {
        std::string name = ob64_encode(key);
        Location loc;
        std::string_view rest = name;
        for (size_t depth = 0; rest.size() > segment_length(depth); ++depth) {
            size_t n = segment_length(depth);
            loc.dirs.push_back(std::string(rest.substr(0, n)) + kDirSuffix);
            rest.remove_prefix(n);
        }
        loc.leaf = rest;
        return loc;
    }

    bool is_entry(size_t depth, std::string_view name, bool dir) const override {
        size_t n = segment_length(depth);
        std::string_view symbols = name;
        if (dir) {
            if (name.size() != n + 1 || name.back() != kDirSuffix) return false;
            symbols.remove_suffix(1);
        } else if (name.empty() || name.size() > n) {
            return false;
        }
        return std::all_of(symbols.begin(), symbols.end(), is_ob64_symbol);
    }

    void lead(std::string_view dir_lead, const Node &n, std::string &out) const override {
        out.assign(dir_lead).append(n.name, 0, n.dir ? n.name.size() - 1 : n.name.size());
    }

    // Plain byte order of the names is key order (see above).
    bool less(const Node &a, const Node &b) const override { return a.name < b.name; }

    int compare_dir(std::string_view lead, std::string_view bound) const override {
        return compare_bits(lead, bound);
    }
    std::optional<std::string> key_of(std::string_view lead) const override {
        return ob64_decode(lead);
    }
    std::string lead_of(std::string_view key) const override { return ob64_encode(key); }
};

// Pathmapped layout: key "a/b/c" is the file c in directory a/b. Leads are key bytes; a
// directory's lead ends with '/', which is what sorts "a/x" after "a-b" and before "a0".
class PathmappedLayout final : public Layout {
public:
    LayoutKind kind() const override { return LayoutKind::pathmapped; }

    Location locate(std::string_view key) const override {
        Location loc;
        size_t start = 0;
        while (true) {
            size_t slash = key.find('/', start);
            std::string_view seg =
                key.substr(start, slash == std::string_view::npos ? key.npos : slash - start);
            check_segment(key, seg);
            if (slash == std::string_view::npos) {
                loc.leaf = seg;
                return loc;
            }
            loc.dirs.emplace_back(seg);
            start = slash + 1;
        }
    }

    bool is_entry(size_t, std::string_view name, bool) const override {
        return !name.starts_with(kReservedPrefix);
    }

    void lead(std::string_view dir_lead, const Node &n, std::string &out) const override {
        out.assign(dir_lead).append(n.name);
        if (n.dir) out += '/';
    }

    // Order of name + "/" for folders, name for files, without building either.
    bool less(const Node &a, const Node &b) const override {
        size_t n = std::min(a.name.size(), b.name.size());
        if (int c = a.name.compare(0, n, b.name, 0, n)) return c < 0;
        if (a.name.size() == b.name.size()) return !a.dir && b.dir;
        if (a.name.size() < b.name.size())
            return !a.dir || '/' < static_cast<unsigned char>(b.name[n]);
        return b.dir && static_cast<unsigned char>(a.name[n]) < '/';
    }

    int compare_dir(std::string_view lead, std::string_view bound) const override {
        size_t n = std::min(lead.size(), bound.size());
        return lead.substr(0, n).compare(bound.substr(0, n));
    }
    std::optional<std::string> key_of(std::string_view lead) const override {
        return std::string(lead);
    }
    std::string lead_of(std::string_view key) const override { return std::string(key); }

private:
    static void check_segment(std::string_view key, std::string_view seg) {
        const char *why = nullptr;
        if (seg.empty())
            why = key.starts_with('/') ? "it starts with '/'" : "it has an empty path segment";
        else if (seg == "." || seg == "..")
            why = "it has a '.' or '..' path segment";
        else if (seg.size() > 255)
            why = "a path segment is longer than 255 bytes";
        else if (seg.starts_with(kReservedPrefix))
            why = "path segments starting with \".kvps-\" are reserved";
        if (why)
            fail(KVPS_INVALID_KEY,
                 "invalid key " + quote(key) + " for a pathmapped file store: " + why);
    }
};

// KVPSButter's encoded layout, read and written as its KVPSEncoded class lays it out: every key
// is one file in the store folder, named by the standard base64 (with '=' padding) of its UTF-8
// bytes. Leads are key bytes, so entries sort by their decoded keys. A key whose base64 holds
// '/' has no file name here (KVPSButter cannot store it either). Names that are not canonical
// base64 of a valid key (staging, strangers) are not entries.
class KvpsButterLayout final : public Layout {
public:
    LayoutKind kind() const override { return LayoutKind::kvpsbutter; }

    Location locate(std::string_view key) const override {
        Location loc;
        loc.leaf = base64_encode(key);
        if (loc.leaf.find('/') != std::string::npos)
            fail(KVPS_INVALID_KEY,
                 "invalid key " + quote(key) +
                     " for a kvpsbutter file store: its base64 file name would contain '/'");
        if (loc.leaf.size() > 255)
            fail(KVPS_INVALID_KEY,
                 "invalid key " + quote(key) +
                     " for a kvpsbutter file store: its base64 file name is longer than 255 bytes");
        return loc;
    }

    bool is_entry(size_t depth, std::string_view name, bool dir) const override {
        return depth == 0 && !dir && base64_decode(name).has_value();
    }

    void lead(std::string_view, const Node &n, std::string &out) const override {
        std::optional<std::string> key = base64_decode(n.name);
        out = key ? *key : std::string();
    }

    bool less(const Node &a, const Node &b) const override {
        return base64_decode(a.name).value_or("") < base64_decode(b.name).value_or("");
    }

    int compare_dir(std::string_view, std::string_view) const override { return 0; }  // no folders
    std::optional<std::string> key_of(std::string_view lead) const override {
        return std::string(lead);
    }
    std::string lead_of(std::string_view key) const override { return std::string(key); }
};

}  // namespace

std::unique_ptr<Layout> make_layout(LayoutKind kind) {
    switch (kind) {
    case LayoutKind::pathmapped: return std::make_unique<PathmappedLayout>();
    case LayoutKind::kvpsbutter: return std::make_unique<KvpsButterLayout>();
    case LayoutKind::encoded: break;
    }
    return std::make_unique<EncodedLayout>();
}

std::string_view layout_name(LayoutKind kind) {
    switch (kind) {
    case LayoutKind::pathmapped: return "pathmapped";
    case LayoutKind::kvpsbutter: return "kvpsbutter";
    case LayoutKind::encoded: break;
    }
    return "encoded";
}

}  // namespace kvps::file
