// The C API, section Store.
#include "api/shim.hpp"

#include <cstdio>
#include <map>
#include "option_check.hpp"
#include "prefixed.hpp"
#include "spi/text.hpp"
#include "url.hpp"

using namespace kvps::shim;

namespace {

std::string redacted_url(const kvps::Url &url, const kvps::RegisteredBackend &backend,
                         const std::map<std::string, std::string> &options) {
    std::string out = url.scheme + "://";
    if (!url.user.empty() || url.has_password) {
        out += kvps::percent_encode(url.user);
        if (url.has_password) out += ":***";
        out += '@';
    }
    out += url.authority() + url.raw_path;
    char sep = '?';
    for (const auto &[name, value] : options) {
        bool secret = false;
        for (const kvps::OptionSpec &spec : backend.spec.options)
            if (spec.name == name && spec.type == KVPS_OPTION_SECRET) secret = true;
        if (secret) continue;
        out += sep + name + "=" + kvps::percent_encode(value, "/:");
        sep = '&';
    }
    return out;
}

// A short fingerprint of where a store's data lives, carried by its cursors.
std::string store_id_of(std::string_view where) {
    uint64_t h = 1469598103934665603ull;
    for (unsigned char c : where) h = (h ^ c) * 1099511628211ull;
    char hex[17];
    std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(h));
    return hex;
}

// verify_checksums is the core's own store option, accepted by every backend: it is taken out
// of the URL query and the extra options before the backend's table is checked.
bool take_verify_option(std::vector<std::pair<std::string, std::string>> &url_options,
                        std::vector<std::pair<std::string, std::string>> &extra) {
    bool verify = true;
    for (auto *options : {&url_options, &extra}) {
        for (auto it = options->begin(); it != options->end();) {
            if (kvps::lower(it->first) != "verify_checksums") {
                ++it;
                continue;
            }
            std::optional<bool> value = kvps::parse_bool(it->second);
            if (!value)
                kvps::fail(KVPS_INVALID_OPTION,
                           "option verify_checksums must be a bool (true/false), not " +
                               kvps::quote(it->second));
            verify = *value;
            it = options->erase(it);
        }
    }
    return verify;
}

kvps_status open_store(const char *url_text, const kvps_option *options, size_t n_options,
                       kvps_store **out) {
    require(url_text, "url");
    require(out, "out");
    if (n_options) require(options, "options");
    kvps::Url url = kvps::parse_url(url_text);
    const kvps::RegisteredBackend *backend = kvps::find_backend(url.scheme);
    if (!backend)
        kvps::fail(KVPS_UNKNOWN_SCHEME, "unknown scheme \"" + url.scheme +
                                            "://\"; known schemes: " + kvps::known_schemes());
    std::vector<std::pair<std::string, std::string>> extra;
    for (size_t i = 0; i < n_options; ++i) {
        if (!options[i].name)
            kvps::fail(KVPS_INVALID_ARGUMENT, "options[" + std::to_string(i) + "].name is NULL");
        if (!options[i].value)
            kvps::fail(KVPS_INVALID_ARGUMENT,
                       "value of option \"" + std::string(options[i].name) + "\" is NULL");
        extra.emplace_back(options[i].name, options[i].value);
    }
    bool verify = take_verify_option(url.query, extra);
    auto values = kvps::check_options(url.scheme, backend->spec.options, url.query, extra);
    auto store = std::make_unique<kvps_store>();
    store->registered = backend;
    store->url = redacted_url(url, *backend, values);
    store->verify_checksums = verify;
    if (!verify)
        store->url += std::string(store->url.find('?') == std::string::npos ? "?" : "&") +
                      "verify_checksums=false";
    std::string where = backend->spec.name + ":" + url.authority() + url.path;
    kvps::Config config(std::move(url), std::move(values), &backend->spec.options);
    std::unique_ptr<kvps::Backend> opened = backend->spec.open(config);
    if (!opened) kvps::fail(KVPS_INTERNAL, "backend " + backend->spec.name + " returned no store");
    std::string prefix = opened->store_prefix();
    store->store_id = store_id_of(where + '\0' + prefix);
    store->backend = kvps::with_prefix(std::move(opened), std::move(prefix));
    *out = store.release();
    return KVPS_OK;
}

}  // namespace

extern "C" {

KVPS_API kvps_status kvps_open(const char *url, kvps_store **out) {
    return guard([&] { return open_store(url, nullptr, 0, out); });
}

KVPS_API kvps_status kvps_open_with(const char *url, const kvps_option *options, size_t n_options,
                                    kvps_store **out) {
    return guard([&] { return open_store(url, options, n_options, out); });
}

KVPS_API void kvps_close(kvps_store *store) {
    if (store) release(store);
}

KVPS_API const char *kvps_store_url(const kvps_store *store) {
    return store ? store->url.c_str() : "";
}

KVPS_API uint64_t kvps_capabilities(const kvps_store *store) {
    return store ? store->registered->spec.capabilities : 0;
}

}  // extern "C"
