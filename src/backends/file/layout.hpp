// Where a key lives under the store folder, and which directory entries are keys.
//
// Three layouts (see README.md for the on-disk format):
//   encoded    (default)            the key's ob64 encoding, cut into directory segments
//   pathmapped (?pathmapped=true)   the key itself, '/' separating directories
//   kvpsbutter (?layout=kvpsbutter) KVPSButter's: one folder, file name = base64 of the key
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kvps::file {

// A key's place: directories from the store folder down, then the file name.
struct Location {
    std::vector<std::string> dirs;
    std::string leaf;
    std::string parent() const;  // "d1/d2" ("" for the folder itself)
    std::string path() const;    // "d1/d2/leaf"
};

// One directory entry as the lister sees it. Its lead (Layout::lead) orders entries in key
// order: for a file it is the key in the layout's lead space, for a directory what every key
// below it starts with.
struct Node {
    std::string name;
    bool dir = false;
};

enum class LayoutKind { encoded, pathmapped, kvpsbutter };

class Layout {
public:
    virtual ~Layout() = default;
    virtual LayoutKind kind() const = 0;
    bool pathmapped() const { return kind() == LayoutKind::pathmapped; }
    // Throws KVPS_INVALID_KEY (naming the key) when the key has no place in this layout.
    virtual Location locate(std::string_view key) const = 0;
    // False for an entry at depth (0 = the store folder) that is not part of the store
    // (marker, staging, strangers).
    virtual bool is_entry(size_t depth, std::string_view name, bool dir) const = 0;
    // Sets out to the lead of node n in the folder whose lead is dir_lead.
    virtual void lead(std::string_view dir_lead, const Node &n, std::string &out) const = 0;
    // Key order of two entries of one folder.
    virtual bool less(const Node &a, const Node &b) const = 0;
    // Compares the keys below directory lead with bound (key bytes): < 0 all before it, > 0 all
    // after it, 0 when some key below may start with bound or bound may pass through it.
    virtual int compare_dir(std::string_view lead, std::string_view bound) const = 0;
    // The key of a file's lead; nullopt when the name is not a valid encoding.
    virtual std::optional<std::string> key_of(std::string_view lead) const = 0;
    // The lead of a key (to resume after it).
    virtual std::string lead_of(std::string_view key) const = 0;
};

std::unique_ptr<Layout> make_layout(LayoutKind kind);
// "encoded", "pathmapped", "kvpsbutter"
std::string_view layout_name(LayoutKind kind);

// Names the backend keeps for itself in the store folder; never keys, never listed.
inline constexpr std::string_view kReservedPrefix = ".kvps-";
inline constexpr std::string_view kMarkerName = ".kvps-format";
inline constexpr std::string_view kStagingName = ".kvps-staging";

}  // namespace kvps::file
