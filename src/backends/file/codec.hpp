// Order-preserving base64 ("ob64"): the key <-> file name encoding of the file backend.
//
// The 64 symbols are taken in ASCII order, "-0-9A-Z_a-z", and bits are packed big-endian with
// zero padding and no '=' signs, so for any keys a and b: a < b (bytes) <=> ob64(a) < ob64(b)
// (strcmp). Sorting a directory's names therefore sorts its keys, and every name is a valid,
// portable file name made of [-0-9A-Za-z_] only.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace kvps::file {

std::string ob64_encode(std::string_view bytes);

// nullopt when text is not the encoding of any byte string (a symbol outside the alphabet, a
// length of 4n+1, or non-zero padding bits): such a name is not ours and is never listed.
std::optional<std::string> ob64_decode(std::string_view text);

bool is_ob64_symbol(char c);

// Standard base64 (RFC 4648 section 4, '+' and '/', '=' padding): KVPSButter's file names.
// base64_decode is nullopt for anything but the canonical encoding of some bytes.
std::string base64_encode(std::string_view bytes);
std::optional<std::string> base64_decode(std::string_view text);

// Compares the bits encoded by `symbols` (6 per symbol, all meaningful) with the bits of
// `bytes` over their common length: < 0 or > 0 where they differ, 0 when one is a prefix of
// the other.
int compare_bits(std::string_view symbols, std::string_view bytes);

}  // namespace kvps::file
