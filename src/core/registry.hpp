// The backend registry. Each backend folder registers itself with one static Registrar:
//
//     static const kvps::Registrar registrar{{
//         .name = "memory",
//         .description = "In-process store for tests and scratch data",
//         .schemes = {"memory", "test"},
//         .options = {},
//         .capabilities = KVPS_CAP_LIST | ...,
//         .open = [](const kvps::Config &config) -> std::unique_ptr<kvps::Backend> { ... },
//     }};
//
// so adding a backend touches only its folder.
#pragma once

#include "kvps.h"

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "backend.hpp"
#include "config.hpp"

namespace kvps {

struct BackendSpec {
    std::string name;
    std::string description;
    std::vector<std::string> schemes;  // primary first, then aliases; lowercase
    std::vector<OptionSpec> options;
    uint64_t capabilities = 0;
    std::function<std::unique_ptr<Backend>(const Config &)> open;
};

struct Registrar {
    explicit Registrar(BackendSpec spec);
};

}  // namespace kvps

namespace kvps {

// What the registry keeps for one backend: its spec and the C views of it.
struct RegisteredBackend {
    BackendSpec spec;
    kvps_backend_info info{};
    std::vector<const char *> scheme_names;
    std::vector<kvps_option_info> option_infos;
};

// nullptr when no backend has the scheme (compared case-insensitively).
const RegisteredBackend *find_backend(std::string_view scheme);
// "file, local, memory, ..." for messages.
std::string known_schemes();
size_t backend_count();
const RegisteredBackend *backend_at(size_t index);

}  // namespace kvps
