// The C API, section Batch.
#include "api/shim.hpp"

#include "keys.hpp"
#include "spi/checksum.hpp"

using namespace kvps::shim;

namespace {

// The arguments every batch call checks, the batch's own first; false when it is empty (then
// the arrays may be NULL and nothing is done).
bool batch_arguments(const kvps_store *store, size_t n, const char *const *keys,
                     const kvps_status *statuses) {
    require(store, "store");
    if (n == 0) return false;
    require(keys, "keys");
    require(statuses, "statuses");
    return true;
}

// Checks each key of a batch; items with a bad key get their status here and are skipped.
template <typename Item>
std::vector<Item> batch_items(size_t n, const char *const *keys, kvps_status *statuses,
                              std::vector<size_t> &index, std::vector<std::string> &errors) {
    std::vector<Item> items;
    errors.assign(n, std::string());
    for (size_t i = 0; i < n; ++i) {
        try {
            Item item;
            item.key = kvps::check_key(keys[i]);
            items.push_back(std::move(item));
            index.push_back(i);
            statuses[i] = KVPS_OK;
        } catch (const kvps::Error &e) {
            statuses[i] = e.status();
            errors[i] = e.message();
        }
    }
    return items;
}

template <typename Item>
kvps_status batch_result(std::vector<Item> &items, const std::vector<size_t> &index,
                         kvps_status *statuses, std::vector<std::string> &errors,
                         bool not_found_ok) {
    for (size_t j = 0; j < items.size(); ++j) {
        statuses[index[j]] = items[j].status;
        errors[index[j]] = items[j].error;
    }
    size_t first_failed = errors.size();
    for (size_t i = 0; i < errors.size(); ++i) {
        if (statuses[i] == KVPS_OK || (not_found_ok && statuses[i] == KVPS_NOT_FOUND)) {
            errors[i].clear();
        } else if (first_failed == errors.size()) {
            first_failed = i;
        }
    }
    if (first_failed == errors.size()) return KVPS_OK;
    kvps_status status = statuses[first_failed];
    std::string message = "item " + std::to_string(first_failed) + ": " + errors[first_failed];
    set_item_errors(std::move(errors));
    set_error(message);
    return status;
}

}  // namespace

extern "C" {

KVPS_API kvps_status kvps_put_many(kvps_store *store, size_t n, const char *const *keys,
                                   const void *const *data, const size_t *sizes,
                                   kvps_status *statuses) {
    return guard([&] {
        if (!batch_arguments(store, n, keys, statuses)) return KVPS_OK;
        require(data, "data");
        require(sizes, "sizes");
        std::vector<size_t> index;
        std::vector<std::string> errors;
        auto items = batch_items<kvps::PutItem>(n, keys, statuses, index, errors);
        std::vector<kvps::PutItem> ready;
        std::vector<size_t> ready_index;
        for (size_t j = 0; j < items.size(); ++j) {
            size_t i = index[j];
            if (sizes[i] && !data[i]) {
                statuses[i] = KVPS_INVALID_ARGUMENT;
                errors[i] = "data[" + std::to_string(i) + "] is NULL";
                continue;
            }
            items[j].data = data[i];
            items[j].size = sizes[i];
            ready.push_back(std::move(items[j]));
            ready_index.push_back(i);
        }
        store->backend->put_many(ready);
        return batch_result(ready, ready_index, statuses, errors, false);
    });
}

KVPS_API kvps_status kvps_get_many(kvps_store *store, size_t n, const char *const *keys,
                                   void **data, size_t *sizes, kvps_status *statuses) {
    return guard([&] {
        if (!batch_arguments(store, n, keys, statuses)) return KVPS_OK;
        require(data, "data");
        require(sizes, "sizes");
        for (size_t i = 0; i < n; ++i) data[i] = nullptr, sizes[i] = 0;
        std::vector<size_t> index;
        std::vector<std::string> errors;
        auto items = batch_items<kvps::GetItem>(n, keys, statuses, index, errors);
        store->backend->get_many(items);
        for (kvps::GetItem &item : items) {  // each value checked against its stored checksum
            if (item.status != KVPS_OK || !item.crc32c || !store->verify_checksums) continue;
            try {
                kvps::check_crc32c(item.key, *item.crc32c,
                                   kvps::crc32c(item.value.data(), item.value.size()));
            } catch (const kvps::Error &e) {
                item.status = e.status();
                item.error = e.message();
                item.value = kvps::Bytes();
            }
        }
        for (size_t j = 0; j < items.size(); ++j)
            if (items[j].status == KVPS_OK) {
                sizes[index[j]] = items[j].value.size();
                data[index[j]] = items[j].value.release();
            }
        return batch_result(items, index, statuses, errors, true);
    });
}

KVPS_API kvps_status kvps_delete_many(kvps_store *store, size_t n, const char *const *keys,
                                      kvps_status *statuses) {
    return guard([&] {
        if (!batch_arguments(store, n, keys, statuses)) return KVPS_OK;
        std::vector<size_t> index;
        std::vector<std::string> errors;
        auto items = batch_items<kvps::DeleteItem>(n, keys, statuses, index, errors);
        store->backend->delete_many(items);
        return batch_result(items, index, statuses, errors, false);
    });
}

}  // extern "C"
