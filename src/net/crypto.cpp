// Digests and HMAC over OpenSSL's EVP interface.
#include "crypto.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <random>

#include "spi/error.hpp"

namespace kvps::net {
namespace {

const EVP_MD *md_of(Algorithm algorithm) {
    switch (algorithm) {
    case Algorithm::md5: return EVP_md5();
    case Algorithm::sha1: return EVP_sha1();
    case Algorithm::sha256: return EVP_sha256();
    }
    return EVP_sha256();
}

}  // namespace

Digest::Digest(Algorithm algorithm) : ctx_(EVP_MD_CTX_new()) {
    if (!ctx_ || !EVP_DigestInit_ex(ctx_, md_of(algorithm), nullptr)) {
        EVP_MD_CTX_free(ctx_);
        fail(KVPS_NO_MEMORY, "cannot start a digest in OpenSSL");
    }
}

Digest::~Digest() { EVP_MD_CTX_free(ctx_); }

void Digest::update(const void *data, size_t size) {
    if (size && !EVP_DigestUpdate(ctx_, data, size))
        fail(KVPS_INTERNAL, "a digest failed in OpenSSL");
}

std::string Digest::finish() {
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int size = 0;
    if (!EVP_DigestFinal_ex(ctx_, out, &size)) fail(KVPS_INTERNAL, "a digest failed in OpenSSL");
    return std::string(reinterpret_cast<const char *>(out), size);
}

std::string digest(Algorithm algorithm, const void *data, size_t size) {
    Digest d(algorithm);
    d.update(data, size);
    return d.finish();
}

std::string hmac_sha256(std::string_view key, std::string_view data) {
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int size = 0;
    if (!HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
              reinterpret_cast<const unsigned char *>(data.data()), data.size(), out, &size))
        fail(KVPS_INTERNAL, "HMAC-SHA256 failed in OpenSSL");
    return std::string(reinterpret_cast<const char *>(out), size);
}

std::string random_hex() {
    thread_local std::mt19937_64 random{std::random_device{}()};
    uint64_t r = random();
    std::string out;
    for (int i = 0; i < 16; ++i, r >>= 4) out += "0123456789abcdef"[r & 15];
    return out;
}

std::string canonical_header_value(std::string_view value) {
    std::string out;
    bool space = false;
    for (char c : value) {
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
            space = !out.empty();
            continue;
        }
        if (space) out += ' ';
        space = false;
        out += c;
    }
    return out;
}

}  // namespace kvps::net
