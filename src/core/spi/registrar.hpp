// How a backend registers itself: one static Registrar in its folder,
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

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "backend.hpp"
#include "options.hpp"

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
