// Put Block / Put Block List, and MD5.
#include "blocks.hpp"

#include <cstdio>

#include "net/crypto.hpp"
#include "spi/error.hpp"
#include "spi/text.hpp"
#include "xml.hpp"

namespace kvps::azure {

std::string md5_base64(const void *data, size_t size) {
    return base64_encode(net::digest(net::Algorithm::md5, data, size));
}

BlockUpload::BlockUpload(Client &client, std::string full_key)
    : client_(client), key_(std::move(full_key)) {
    id_stem_ = net::random_hex();
}

BlockUpload::~BlockUpload() { abort(); }

void BlockUpload::put_block(const std::string &id, const void *data, size_t size) {
    Call call;
    call.method = "PUT";
    call.blob = key_;
    call.query = {{"comp", "block"}, {"blockid", id}};
    call.headers = {{"Content-MD5", md5_base64(data, size)}};  // the service checks each block
    call.body = data;
    call.body_size = size;
    call.has_body = true;
    HttpResponse response = client_.send(call);  // staging a block twice is harmless: Always
    if (!succeeded(response)) client_.fail_answer(response, client_.describe("Put Block to", key_));
}

void BlockUpload::launch(const void *data, size_t size, Bytes owned) {
    if (ids_.size() >= 50000)
        fail(KVPS_INVALID_ARGUMENT, "az: " + client_.describe("PUT", key_) +
                                        ": a blob has at most 50000 blocks; raise block_size");
    while (in_flight_.size() >= client_.settings().concurrency) wait_oldest();
    // Ids of one blob must have one length: "kvps" + 16 hex digits + 8 digits, base64.
    char number[9];
    std::snprintf(number, sizeof number, "%08zu", ids_.size());
    std::string id = base64_encode("kvps" + id_stem_ + number);
    ids_.push_back(id);
    // A deque's elements stay where they are when others come and go at its ends.
    owned_.push_back(std::move(owned));
    if (owned_.back().size()) {
        data = owned_.back().data();
        size = owned_.back().size();
    }
    try {
        in_flight_.push_back(
            std::async(std::launch::async, [this, id, data, size] { put_block(id, data, size); }));
    } catch (...) {
        owned_.pop_back();
        throw;
    }
}

void BlockUpload::add(Bytes data) {
    size_t size = data.size();
    try {
        launch(nullptr, size, std::move(data));
    } catch (...) {
        abort();
        throw;
    }
}

void BlockUpload::add_borrowed(const void *data, size_t size) {
    try {
        launch(data, size, Bytes());
    } catch (...) {
        abort();
        throw;
    }
}

void BlockUpload::wait_oldest() {
    std::future<void> oldest = std::move(in_flight_.front());
    in_flight_.pop_front();
    Bytes buffer = std::move(owned_.front());  // the same memory: the block may still be sending
    owned_.pop_front();
    oldest.get();  // rethrows the block's failure
    if (buffer.size()) {
        buffer.resize(0);
        spare_ = std::move(buffer);
    }
}

HttpResponse BlockUpload::commit(Pairs headers, Retry retry, bool *lost_answer) {
    try {
        while (!in_flight_.empty()) wait_oldest();
    } catch (...) {
        abort();
        throw;
    }
    std::string body = block_list_xml(ids_);
    Call call;
    call.method = "PUT";
    call.blob = key_;
    call.query = {{"comp", "blocklist"}};
    call.headers = std::move(headers);
    call.headers.emplace_back("Content-Type", "application/xml");
    call.body = body.data();
    call.body_size = body.size();
    call.has_body = true;
    call.retry = retry;
    call.lost_answer = lost_answer;
    return client_.send(call);
}

void BlockUpload::abort() noexcept {
    while (!in_flight_.empty()) {
        try {
            wait_oldest();
        } catch (...) {
        }
    }
}

}  // namespace kvps::azure
