// Digests and HMAC (OpenSSL) for the backends that sign requests or check values, written once:
// raw bytes out, to be hex- or base64-encoded by the caller (spi/text.hpp).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

struct evp_md_ctx_st;  // OpenSSL's EVP_MD_CTX

namespace kvps::net {

enum class Algorithm { md5, sha1, sha256 };

// A digest computed as the bytes go by.
class Digest {
public:
    explicit Digest(Algorithm algorithm);
    ~Digest();
    Digest(const Digest &) = delete;
    Digest &operator=(const Digest &) = delete;
    void update(const void *data, size_t size);
    std::string finish();  // the raw digest; ends the computation

private:
    evp_md_ctx_st *ctx_;
};

// The raw digest of data.
std::string digest(Algorithm algorithm, const void *data, size_t size);
inline std::string digest(Algorithm algorithm, std::string_view data) {
    return digest(algorithm, data.data(), data.size());
}

// The raw HMAC-SHA256 of data under key.
std::string hmac_sha256(std::string_view key, std::string_view data);

// 16 random lowercase hex digits, for names that must not collide (block ids, probe keys, MIME
// boundaries); not for secrets.
std::string random_hex();

// A header value as request signatures (SigV4, Shared Key) canonicalize it: white space cut at
// both ends, each inner run of it folded to one space.
std::string canonical_header_value(std::string_view value);

}  // namespace kvps::net
