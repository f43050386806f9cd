// The backend registry (core only): what the Registrars of spi/registrar.hpp filled.
#pragma once

#include "kvps.h"

#include <string>
#include <string_view>
#include <vector>

#include "spi/registrar.hpp"

namespace kvps {

// What the registry keeps for one backend: its spec and the C views of it.
struct RegisteredBackend {
    BackendSpec spec;
    kvps_backend_info info{};
    std::vector<const char *> scheme_names;
    std::vector<kvps_option_info> option_infos;
    std::vector<std::vector<const char *>>
        option_aliases;  // the names behind option_infos[i].aliases
};

// nullptr when no backend has the scheme (compared case-insensitively).
const RegisteredBackend *find_backend(std::string_view scheme);
// "file, local, memory, ..." for messages.
std::string known_schemes();
size_t backend_count();
const RegisteredBackend *backend_at(size_t index);

}  // namespace kvps
