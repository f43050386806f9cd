// The store prefix as one wrapper (core only): a backend reports its prefix
// (Backend::store_prefix, e.g. s3://bucket/PREFIX's "PREFIX/") and works on full object names;
// the core wraps it so every key it is given starts with the prefix, every key and common
// prefix it lists loses it, and every message names the caller's key.
#pragma once

#include <memory>
#include <string>

#include "spi/backend.hpp"

namespace kvps {

// backend itself when prefix is "", else a wrapper around it.
std::unique_ptr<Backend> with_prefix(std::unique_ptr<Backend> backend, std::string prefix);

}  // namespace kvps
