#include "registry.hpp"

#include "spi/text.hpp"

#include <algorithm>
#include <cstdio>
#include <mutex>

namespace kvps {
namespace {

struct Registry {
    std::mutex mutex;
    std::vector<std::unique_ptr<RegisteredBackend>> backends;  // sorted by name
};

// Constructed on first use, so registrars in any translation unit may run first.
Registry &registry() {
    static Registry instance;
    return instance;
}

}  // namespace

Registrar::Registrar(BackendSpec spec) {
    auto entry = std::make_unique<RegisteredBackend>();
    entry->spec = std::move(spec);
    for (std::string &scheme : entry->spec.schemes) scheme = lower(scheme);
    for (OptionSpec &option : entry->spec.options) {
        option.name = lower(option.name);
        for (std::string &alias : option.aliases) alias = lower(alias);
    }
    for (const std::string &scheme : entry->spec.schemes)
        entry->scheme_names.push_back(scheme.c_str());
    for (const OptionSpec &o : entry->spec.options) {
        std::vector<const char *> &aliases = entry->option_aliases.emplace_back();
        for (const std::string &alias : o.aliases) aliases.push_back(alias.c_str());
    }
    for (size_t i = 0; i < entry->spec.options.size(); ++i) {
        const OptionSpec &o = entry->spec.options[i];
        entry->option_infos.push_back(kvps_option_info{
            o.name.c_str(), o.type, o.default_value ? o.default_value->c_str() : nullptr,
            o.required ? 1 : 0, o.description.c_str(), entry->option_aliases[i].data(),
            entry->option_aliases[i].size()});
    }
    entry->info.name = entry->spec.name.c_str();
    entry->info.description = entry->spec.description.c_str();
    entry->info.schemes = entry->scheme_names.data();
    entry->info.scheme_count = entry->scheme_names.size();
    entry->info.option_count = entry->option_infos.size();
    entry->info.capabilities = entry->spec.capabilities;

    Registry &r = registry();
    std::lock_guard lock(r.mutex);
    for (const auto &existing : r.backends)
        for (const std::string &scheme : entry->spec.schemes)
            for (const std::string &taken : existing->spec.schemes)
                if (scheme == taken) {
                    std::fprintf(
                        stderr, "kvps: scheme \"%s\" of backend %s is already taken by %s\n",
                        scheme.c_str(), entry->spec.name.c_str(), existing->spec.name.c_str());
                    return;
                }
    auto at =
        std::lower_bound(r.backends.begin(), r.backends.end(), entry,
                         [](const auto &a, const auto &b) { return a->spec.name < b->spec.name; });
    r.backends.insert(at, std::move(entry));
}

const RegisteredBackend *find_backend(std::string_view scheme) {
    std::string wanted = lower(scheme);
    Registry &r = registry();
    std::lock_guard lock(r.mutex);
    for (const auto &entry : r.backends)
        for (const std::string &s : entry->spec.schemes)
            if (s == wanted) return entry.get();
    return nullptr;
}

std::string known_schemes() {
    Registry &r = registry();
    std::lock_guard lock(r.mutex);
    std::string out;
    for (const auto &entry : r.backends)
        for (const std::string &s : entry->spec.schemes)
            out += (out.empty() ? "" : ", ") + s + "://";
    return out;
}

size_t backend_count() {
    Registry &r = registry();
    std::lock_guard lock(r.mutex);
    return r.backends.size();
}

const RegisteredBackend *backend_at(size_t index) {
    Registry &r = registry();
    std::lock_guard lock(r.mutex);
    return index < r.backends.size() ? r.backends[index].get() : nullptr;
}

}  // namespace kvps
