#include "api/shim.hpp"

#include <cstdio>

#include "spi/log.hpp"

namespace kvps::shim {
namespace {

thread_local std::string t_last_error;
thread_local std::vector<std::string> t_item_errors;

}  // namespace

void set_error(std::string_view message) noexcept {
    try {
        t_last_error = message;
    } catch (...) {
        t_last_error.clear();
    }
}

void set_item_errors(std::vector<std::string> messages) noexcept {
    t_item_errors = std::move(messages);
}

void forget_item_errors() noexcept { t_item_errors.clear(); }

void release(kvps_store *store) noexcept {
    if (store->refs.fetch_sub(1, std::memory_order_acq_rel) == 1) delete store;
}

void require(const void *pointer, const char *name) {
    if (!pointer) fail(KVPS_INVALID_ARGUMENT, std::string(name) + " is NULL");
}

OpLog::OpLog(const char *op, std::string_view key) : op_(op), key_(key) {
    if (log_enabled(KVPS_LOG_INFO)) start_ = std::chrono::steady_clock::now(), on_ = true;
}

kvps_status OpLog::done(kvps_status status, uint64_t amount, const char *unit) {
    if (on_) {
        double ms =
            std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start_)
                .count();
        char tail[96];
        std::snprintf(tail, sizeof tail, " -> %s, %llu %s, %.3f ms", kvps_status_name(status),
                      static_cast<unsigned long long>(amount), unit, ms);
        log(KVPS_LOG_INFO, std::string(op_) + " " + quote(key_) + tail);
    }
    return status;
}

}  // namespace kvps::shim

extern "C" {

KVPS_API const char *kvps_last_error(void) { return kvps::shim::t_last_error.c_str(); }

KVPS_API const char *kvps_last_item_error(size_t i) {
    const auto &items = kvps::shim::t_item_errors;
    return i < items.size() ? items[i].c_str() : "";
}

}  // extern "C"
